"""A scored call as table rows: one row per call (score, verdict, per rule: status, deduction,
hits), one per hit, and the running summary a QA lead reads first."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from app.models import Call, CallResult

BASE_COLUMNS = ["call_id", "agent_id", "team_id", "started_at", "direction", "score", "passed", "lexicon_version"]
TAIL_COLUMNS = ["warnings", "roles", "source", "source_row"]
HIT_COLUMNS = ["call_id", "agent_id", "rule_id", "status", "phrase", "matched", "method", "similarity",
               "utterance_index", "speaker", "start_ms", "utterance", "detail"]
ERROR_COLUMNS = ["source", "row", "rows", "error"]


def call_columns(rule_ids: list[str]) -> list[str]:
    """The calls table's columns: the same for every call of a run (every rule of the lexicon)."""
    return BASE_COLUMNS + [f"{r}.{x}" for r in rule_ids for x in ("status", "deduction", "hits")] + TAIL_COLUMNS


def call_row(item_source: str, item_row: int, call: Call, result: CallResult) -> dict:
    row = {"call_id": call.call_id, "agent_id": call.agent_id, "team_id": call.team_id,
           "started_at": call.started_at.isoformat() if call.started_at else None, "direction": call.direction,
           "score": result.score, "passed": result.passed, "lexicon_version": result.lexicon_version}
    for r in result.rules:
        row[f"{r.rule_id}.status"] = r.status
        row[f"{r.rule_id}.deduction"] = r.deduction
        row[f"{r.rule_id}.hits"] = len(r.hits)
    row["warnings"] = "; ".join(result.warnings) or None
    row["roles"] = result.source.note if result.source else None
    row["source"] = item_source
    row["source_row"] = item_row
    return row


def hit_rows(call: Call, result: CallResult) -> list[dict]:
    out = []
    for r in result.rules:
        for h in r.hits:
            u = call.utterances[h.utterance_index] if h.utterance_index < len(call.utterances) else None
            out.append({"call_id": call.call_id, "agent_id": call.agent_id, "rule_id": r.rule_id, "status": r.status,
                        "phrase": h.phrase, "matched": h.matched, "method": h.method, "similarity": h.similarity,
                        "utterance_index": h.utterance_index, "speaker": h.speaker, "start_ms": h.start_ms,
                        "utterance": u.text if u is not None else None, "detail": h.detail})
    return out


@lru_cache(maxsize=16)
def _status_keys(columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(column, rule) of each rule's status column (a run's rows all have the same columns)."""
    return tuple((c, c[:-7]) for c in columns if c.endswith(".status"))


@dataclass
class Summary:
    """Counted as call rows go by: calls, pass rate, violation rate per rule, worst agents."""

    calls: int = 0
    passed: int = 0
    refused: int = 0
    score_sum: float = 0.0
    applicable: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    agents: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0.0]))  # agent -> calls, passed, score sum

    def add(self, row: dict) -> None:
        self.calls += 1
        self.passed += bool(row["passed"])
        self.score_sum += row["score"]
        statuses = _status_keys(tuple(row))
        for key, rule in statuses:
            value = row[key]
            if value != "not_applicable":
                self.applicable[rule] += 1
                self.failed[rule] += value == "failed"
        if row.get("agent_id"):
            a = self.agents[row["agent_id"]]
            a[0] += 1
            a[1] += bool(row["passed"])
            a[2] += row["score"]

    def merge(self, other: Summary) -> None:
        self.calls += other.calls
        self.passed += other.passed
        self.refused += other.refused
        self.score_sum += other.score_sum
        self.applicable.update(other.applicable)
        self.failed.update(other.failed)
        for agent, (n, p, total) in other.agents.items():
            a = self.agents[agent]
            a[0] += n
            a[1] += p
            a[2] += total

    def to_dict(self) -> dict:
        return {"calls": self.calls, "passed": self.passed, "refused": self.refused, "score_sum": self.score_sum,
                "applicable": dict(self.applicable), "failed": dict(self.failed), "agents": dict(self.agents)}

    @classmethod
    def from_dict(cls, d: dict) -> Summary:
        out = cls(d["calls"], d["passed"], d["refused"], d["score_sum"], Counter(d["applicable"]), Counter(d["failed"]))
        for agent, v in d["agents"].items():
            out.agents[agent] = list(v)
        return out

    def rules(self) -> list[dict]:
        return [{"rule_id": r, "calls_applicable": n, "violations": self.failed[r],
                 "violation_rate": round(self.failed[r] / n, 4) if n else None}
                for r, n in sorted(self.applicable.items())]

    def worst_agents(self, top: int = 10, min_calls: int = 1) -> list[dict]:
        rows = [{"agent_id": a, "calls": n, "pass_rate": round(p / n, 4), "average_score": round(s / n, 2)}
                for a, (n, p, s) in self.agents.items() if n >= min_calls]
        return sorted(rows, key=lambda r: (r["pass_rate"], r["average_score"], r["agent_id"]))[:top]

    def table(self) -> list[dict]:
        """The summary as rows of (section, name, value), for a sheet."""
        out = [{"section": "calls", "name": "scored", "value": self.calls},
               {"section": "calls", "name": "refused", "value": self.refused},
               {"section": "calls", "name": "passed", "value": self.passed},
               {"section": "calls", "name": "pass_rate", "value": round(self.passed / self.calls, 4) if self.calls else None},
               {"section": "calls", "name": "average_score",
                "value": round(self.score_sum / self.calls, 2) if self.calls else None}]
        out += [{"section": "violation_rate", "name": r["rule_id"], "value": r["violation_rate"]} for r in self.rules()]
        out += [{"section": "worst_agents", "name": a["agent_id"], "value": a["pass_rate"]} for a in self.worst_agents()]
        return out

    def text(self) -> str:
        lines = [f"calls scored: {self.calls:,}; refused: {self.refused:,}"]
        if self.calls:
            lines.append(f"pass rate: {self.passed / self.calls:.1%}; average score: {self.score_sum / self.calls:.2f}")
        if self.applicable:
            lines.append("violation rate per rule:")
            lines += [f"  {r['rule_id']:<20} {r['violations']:>8,} of {r['calls_applicable']:>8,}  "
                      f"{(r['violation_rate'] or 0):.1%}" for r in self.rules()]
        worst = self.worst_agents(5)
        if worst:
            lines.append("worst agents (pass rate, average score, calls):")
            lines += [f"  {a['agent_id']:<20} {a['pass_rate']:.1%}  {a['average_score']:6.2f}  {a['calls']:,}" for a in worst]
        return "\n".join(lines)
