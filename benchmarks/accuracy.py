"""Accuracy benchmark: callqa's verdicts against labels, per rule, beside two baselines measured
in the same run on the same calls and the same windows:

- substring: the rule's phrases (placeholders filled, `*` parts in order) found in the raw text;
- partial_ratio: rapidfuzz `fuzz.partial_ratio(phrase, text) >= 80`.

Both baselines read only the rule's speaker and window, like callqa. A "positive" is a call in
which the agent broke the rule (a required phrase missing, a forbidden one said).

Three sets:
- clean: 3,000 calls of tidy, mostly punctuated turns with ASR noise (benchmarks/dataset.py);
- real: 2,000 real-style calls - fragments, crosstalk, no punctuation, garbled brands, outbound
  openings, survey prompts (benchmarks/realstyle.py); figures per phenomenon too;
- hand: the hardest kinds, written and labelled by hand (benchmarks/hard_calls.yaml).

    python -m benchmarks.accuracy [--set clean|real|hand|all] [--seed S] [--show-errors K]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from app.lexicon.compiler import PLACEHOLDER, CompiledLexicon, Rule, default_lexicon_dir, load_lexicon
from app.models import Call, variable_forms
from app.score.scorer import _window, score_call
from app.text.turns import build_call_text
from benchmarks.dataset import labeled_calls
from benchmarks.realstyle import realstyle_calls

CLEAN_RULES = ["greeting", "closing", "forbidden", "profanity", "polite", "outbound_confirm"]
REAL_RULES = ["greeting", "closing", "forbidden"]
HAND = Path(__file__).with_name("hard_calls.yaml")
SYSTEMS = ("callqa", "substring", "partial_ratio>=80")


def hand_calls(path: Path = HAND) -> list[tuple[dict, dict[str, bool], list[str], str]]:
    """(call, labels, tags, why) of each hand-written call; a label is True where the agent broke
    the rule."""
    out = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        utterances = []
        for line in item["lines"]:
            who, start, end, text = line.split(" ", 3)
            u = {"speaker": "agent" if who == "A" else "customer", "text": text}
            if start != "-":
                u["start_ms"], u["end_ms"] = round(float(start) * 1000), round(float(end) * 1000)
            utterances.append(u)
        name, *aliases = item["company"]
        call = {"call_id": item["id"], "direction": item["direction"], "utterances": utterances,
                "variables": {"company": {"name": name, "aliases": aliases}}}
        labels = {rule: verdict == "fail" for rule, verdict in item["labels"].items()}
        out.append((call, labels, item.get("tags", []), item.get("why", "")))
    return out


def _phrases(rule: Rule, call: Call) -> list[list[list[str]]]:
    """Per group, per phrase: its literal parts, placeholders filled with every form."""
    values = {k: variable_forms(v) for k, v in call.variables.items()}
    groups = []
    for group in rule.groups:
        out = []
        for phrase in group:
            texts = [phrase.text]
            for name in PLACEHOLDER.findall(phrase.text):
                texts = [t.replace("{" + name + "}", v) for t in texts for v in values.get(name, ())]
            out += [t.split("*") for t in texts]
        groups.append(out)
    return groups


def _substring(parts: list[str], text: str) -> bool:
    pos = 0
    for p in parts:
        j = text.find(p, pos)
        if j < 0:
            return False
        pos = j + len(p)
    return True


def _partial(parts: list[str], text: str) -> bool:
    return fuzz.partial_ratio("".join(parts), text) >= 80


def baseline_violation(rule: Rule, call: Call, ct, direction: str, match) -> bool:
    if rule.direction not in ("any", direction):
        return False
    turns, _, _ = _window(rule, ct)
    if turns is None:
        return False
    text = "".join("".join(ct.turns[t].texts) for t in turns)
    groups = _phrases(rule, call)
    if rule.kind == "required":
        return not all(any(match(p, text) for p in g) for g in groups)
    return any(match(p, text) for g in groups for p in g)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class Tally:
    """Confusion counts per system and rule, agreement per rule, agreement per phenomenon."""

    def __init__(self, rules: list[str]):
        self.rules = rules
        self.counts = {s: {r: Counter() for r in rules} for s in SYSTEMS}
        self.tags: dict[str, Counter] = {}
        self.calls = 0
        self.errors: dict[str, list[str]] = {r: [] for r in rules}

    def add(self, call: Call, labels: dict[str, bool], tags: list[str], lex: CompiledLexicon, show: int,
            why: str = "") -> None:
        self.calls += 1
        result = score_call(call, lex)
        by_rule = {r.rule_id: r for r in result.rules}
        ct = build_call_text(call, lex.sound_lut, None, lex.policy)
        direction = call.direction or "inbound"
        agree_all = True
        for rid in self.rules:
            rule = lex.rule(rid)
            truth = labels[rid]
            preds = {
                "callqa": by_rule[rid].status == "failed",
                "substring": baseline_violation(rule, call, ct, direction, _substring),
                "partial_ratio>=80": baseline_violation(rule, call, ct, direction, _partial),
            }
            for s, pred in preds.items():
                self.counts[s][rid]["tp" if pred and truth else "fp" if pred else "fn" if truth else "tn"] += 1
            if preds["callqa"] != truth:
                agree_all = False
                if len(self.errors[rid]) < show:
                    agent = " / ".join(u.text for u in call.utterances if u.speaker == "agent")
                    hits = "; ".join(f"{h.phrase}={h.matched!r}({h.method})" for h in by_rule[rid].hits)
                    kind = "FALSE ACCUSATION" if preds["callqa"] else "MISSED"
                    self.errors[rid].append(f"  {kind} {call.call_id}: {agent[:200]}  [{hits}] {why}")
        for tag in tags:
            c = self.tags.setdefault(tag, Counter())
            c["calls"] += 1
            c["agree"] += agree_all

    def report(self, title: str, per_tag: bool) -> None:
        print(f"\n== {title}: {self.calls} calls")
        print(f"{'rule':<17}{'pos':>5}  {'agree':>6}  " + "  ".join(f"{s:^26}" for s in SYSTEMS))
        print(f"{'':<17}{'':>5}  {'':>6}  " + "  ".join(f"{'P':>6}{'R':>6}{'F1':>6}{'FP':>5}   " for _ in SYSTEMS))
        totals = {s: Counter() for s in SYSTEMS}
        for rid in self.rules:
            c0 = self.counts["callqa"][rid]
            agree = (c0["tp"] + c0["tn"]) / max(1, sum(c0.values()))
            row = f"{rid:<17}{c0['tp'] + c0['fn']:>5}  {agree:>6.3f}  "
            for s in SYSTEMS:
                c = self.counts[s][rid]
                totals[s].update(c)
                p, r, f = prf(c["tp"], c["fp"], c["fn"])
                row += f"{p:>6.3f}{r:>6.3f}{f:>6.3f}{c['fp']:>5}   "
            print(row)
        row = f"{'all rules':<17}{totals['callqa']['tp'] + totals['callqa']['fn']:>5}  {'':>6}  "
        for s in SYSTEMS:
            c = totals[s]
            p, r, f = prf(c["tp"], c["fp"], c["fn"])
            row += f"{p:>6.3f}{r:>6.3f}{f:>6.3f}{c['fp']:>5}   "
        print(row)
        if per_tag and self.tags:
            print("calls with each phenomenon, and the share where callqa agrees with every label:")
            cells = [f"{tag} {c['agree'] / c['calls']:.3f} ({c['calls']})" for tag, c in sorted(self.tags.items())]
            for i in range(0, len(cells), 4):
                print("   " + "   ".join(f"{cell:<34}" for cell in cells[i:i + 4]))
            worst = min(self.tags.items(), key=lambda kv: kv[1]["agree"] / kv[1]["calls"])
            print(f"lowest: {worst[0]} {worst[1]['agree'] / worst[1]['calls']:.3f}")
        for rid, errs in self.errors.items():
            if errs:
                print(f"{rid}:")
                print("\n".join(errs))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["clean", "real", "hand", "all"], default="all")
    ap.add_argument("--n", type=int, default=0, help="calls in the generated sets (default 3000 clean, 2000 real)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generated sets (default: their own)")
    ap.add_argument("--show-errors", type=int, default=0, metavar="K", help="print up to K misjudged calls per rule")
    args = ap.parse_args(argv)

    lex = load_lexicon(default_lexicon_dir())
    t0 = time.perf_counter()
    print(f"accuracy benchmark, lexicon {lex.version}")
    if args.set in ("clean", "all"):
        tally = Tally(CLEAN_RULES)
        data = labeled_calls(args.n or 3000, args.seed or 20261121)
        noise = Counter()
        for item in data:
            noise.update(item.noise)
            tally.add(Call.model_validate(item.call), item.labels, [], lex, args.show_errors)
        tally.report(f"clean set (benchmarks/dataset.py, seed {args.seed or 20261121})", per_tag=False)
        print("noise in the set (calls with at least one):", ", ".join(f"{k} {v}" for k, v in sorted(noise.items())))
    if args.set in ("real", "all"):
        tally = Tally(REAL_RULES)
        for item in realstyle_calls(args.n or 2000, args.seed or 20261127):
            tally.add(Call.model_validate(item.call), item.labels, item.tags, lex, args.show_errors, "; ".join(item.notes))
        tally.report(f"real-style set (benchmarks/realstyle.py, seed {args.seed or 20261127})", per_tag=True)
    if args.set in ("hand", "all"):
        tally = Tally(REAL_RULES)
        for call, labels, tags, why in hand_calls():
            tally.add(Call.model_validate(call), labels, tags, lex, args.show_errors, why)
        tally.report(f"hand-written hard calls ({HAND.name})", per_tag=True)
    print(f"\nP precision, R recall, FP false accusations (calls flagged for a rule the agent kept); "
          f"agree: share of calls whose verdict matches the label. {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
