"""Lexicon backtest: the same calls scored under the lexicon in use and under an edited one,
and what the edit would change before it goes live: per rule, the verdicts that flip (pass ->
fail, fail -> pass), the change in violation rate, and example calls with the hit that
appeared or vanished."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from app.batch.inputs import ColumnMap, Item, read_items
from app.batch.pool import can_fork, forked, in_order
from app.errors import CallqaError
from app.ingest.formats import Hints
from app.lexicon.compiler import load_lexicon
from app.models import Call, CallResult, RuleResult
from app.score.scorer import ScoringConfig, check_config, score_call


@dataclass
class RuleChange:
    rule_id: str
    applicable_old: int = 0
    applicable_new: int = 0
    failed_old: int = 0
    failed_new: int = 0
    pass_to_fail: int = 0
    fail_to_pass: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: {"pass -> fail": [], "fail -> pass": []})

    def rate(self, failed: int, applicable: int) -> float | None:
        return failed / applicable if applicable else None


@dataclass
class Report:
    old_version: str
    new_version: str
    calls: int = 0
    refused: int = 0
    rules: dict[str, RuleChange] = field(default_factory=dict)
    flips: list[dict] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"backtest of {self.calls:,} calls ({self.refused:,} refused): lexicon {self.old_version} -> {self.new_version}"]
        header = f"  {'rule':<20}{'pass->fail':>11}{'fail->pass':>11}{'violation rate':>26}"
        lines.append(header)
        for rc in sorted(self.rules.values(), key=lambda r: r.rule_id):
            old, new = rc.rate(rc.failed_old, rc.applicable_old), rc.rate(rc.failed_new, rc.applicable_new)
            shown = f"{_pct(old)} -> {_pct(new)}"
            if old is not None and new is not None:
                shown += f" ({(new - old) * 100:+.1f} pt)"
            lines.append(f"  {rc.rule_id:<20}{rc.pass_to_fail:>11,}{rc.fail_to_pass:>11,}   {shown}")
        for rc in sorted(self.rules.values(), key=lambda r: r.rule_id):
            for direction, examples in rc.examples.items():
                for ex in examples:
                    lines.append(f"  {rc.rule_id} {direction}: {ex}")
        if not any(rc.pass_to_fail or rc.fail_to_pass for rc in self.rules.values()):
            lines.append("  no verdict flips")
        return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _hits(r: RuleResult | None) -> set[tuple]:
    return {(h.phrase, h.utterance_index, h.offset, h.matched) for h in r.hits} if r else set()


def _describe(hits: set[tuple], call) -> str:
    phrase, idx, _, matched = sorted(hits)[0]
    text = call.utterances[idx].text if idx < len(call.utterances) else ""
    return f"{phrase} = {matched!r} in utterance {idx}: {text[:60]}"


def _read(inputs: list[str], columns: str | None, hints: Hints, fmt: str | None) -> Iterator[Item]:
    """The calls of the input files, as items (built where they are scored)."""
    yield from read_items(inputs, ColumnMap(columns), hints, fmt)


# What forked workers compare with (set before the pool is made, inherited, never pickled).
_PAIR: tuple | None = None


def compare(unit: Item | Call | str) -> dict | None:
    """One call scored under both lexicons: its rules' statuses before and after, and for
    each verdict that flips, why; None when the call is refused. `unit`: an input item, a
    call, or a stored call's JSON."""
    assert _PAIR is not None
    old, new, config, hints = _PAIR
    if isinstance(unit, Item):
        call = unit.build(hints).call
    elif isinstance(unit, str):
        call = Call.model_validate_json(unit)
    else:
        call = unit
    if call is None:
        return None
    try:
        a: CallResult = score_call(call, old, config)
        b: CallResult = score_call(call, new, config)
    except CallqaError:
        return None
    before = {r.rule_id: r for r in a.rules}
    after = {r.rule_id: r for r in b.rules}
    rules = []
    for rule_id in dict.fromkeys([*before, *after]):
        ra, rb = before.get(rule_id), after.get(rule_id)
        sa = ra.status if ra else "absent"
        sb = rb.status if rb else "absent"
        why = None
        # a rule the lexicon does not have fails no call: a new rule's failures are flips too
        if {sa.replace("absent", "passed"), sb.replace("absent", "passed")} == {"passed", "failed"}:
            appeared, vanished = _hits(rb) - _hits(ra), _hits(ra) - _hits(rb)
            why = (f"hit appeared: {_describe(appeared, call)}" if appeared else
                   f"hit vanished: {_describe(vanished, call)}" if vanished else
                   (rb.note or rb.message or "") if sb == "failed" else "")
        rules.append((rule_id, sa, sb, why))
    return {"call_id": call.call_id, "agent_id": call.agent_id, "score_old": a.score, "score_new": b.score,
            "rules": rules}


def _add(report: Report, diff: dict | None, examples: int) -> None:
    if diff is None:
        report.refused += 1
        return
    report.calls += 1
    for rule_id, sa, sb, why in diff["rules"]:
        rc = report.rules.setdefault(rule_id, RuleChange(rule_id))
        rc.applicable_old += sa in ("passed", "failed")
        rc.applicable_new += sb in ("passed", "failed")
        rc.failed_old += sa == "failed"
        rc.failed_new += sb == "failed"
        if why is None:
            continue
        direction = "pass -> fail" if sb == "failed" else "fail -> pass"  # (a retired rule's failures pass)
        if direction == "pass -> fail":
            rc.pass_to_fail += 1
        else:
            rc.fail_to_pass += 1
        report.flips.append({"call_id": diff["call_id"], "agent_id": diff["agent_id"], "rule_id": rule_id,
                             "flip": direction, "score_old": diff["score_old"], "score_new": diff["score_new"],
                             "why": why})
        if len(rc.examples[direction]) < examples:
            rc.examples[direction].append(f"call {diff['call_id']}: {why}")


def _compare_block(units: list) -> list[dict | None]:
    return [compare(u) for u in units]


BLOCK_CALLS = 100  # calls a worker compares at a time


def _diffs(units: Iterable, workers: int) -> Iterator[dict | None]:
    """compare() of every unit, in order: here, or on `workers` forked processes, a few
    blocks ahead of the reader at most."""
    if workers <= 1 or not can_fork():
        yield from map(compare, units)
        return
    pool = forked(workers)
    try:
        it = iter(units)
        blocks = iter(lambda: list(islice(it, BLOCK_CALLS)), [])
        for _, diffs in in_order(pool, ((None, _compare_block, (block,)) for block in blocks), 2 * workers + 2):
            yield from diffs
    finally:
        pool.terminate()
        pool.join()


def backtest(inputs: list[str], old_dir: Path, new_dir: Path, config: ScoringConfig, hints: Hints, *,
             columns: str | None = None, fmt: str | None = None, examples: int = 3,
             output: Path | None = None, stored: Iterable[Call | str] | None = None, workers: int = 1,
             bar=None) -> Report:
    """Score the calls of `inputs` (or the `stored` calls instead: calls, or their JSON) under
    both lexicons, on `workers` processes; the report is the same with any number. `bar`:
    told of each call done (update(1))."""
    global _PAIR
    old, new = load_lexicon(old_dir), load_lexicon(new_dir)
    check_config(old, config)
    check_config(new, config)
    report = Report(old.version, new.version)
    _PAIR = (old, new, config, hints)
    try:
        for diff in _diffs(stored if stored is not None else _read(inputs, columns, hints, fmt), workers):
            _add(report, diff, examples)
            if bar is not None:
                bar.update(1)
    finally:
        _PAIR = None
    if output is not None:
        _write_flips(output, report.flips)
    return report


def _write_flips(path: Path, flips: list[dict]) -> None:
    from app.batch.outputs import write_table
    from app.batch.run import output_kind

    columns = ["call_id", "agent_id", "rule_id", "flip", "score_old", "score_new", "why"]
    write_table(path, flips, columns, output_kind(path, "-o"))


