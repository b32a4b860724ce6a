"""Accuracy benchmark: precision / recall / F1 per rule on a labeled set of noisy calls,
beside two baselines measured in the same run on the same calls and the same windows:

- substring: the rule's phrases (placeholders filled, `*` parts in order) found in the raw text;
- partial_ratio: rapidfuzz `fuzz.partial_ratio(phrase, text) >= 80`.

Both baselines read only the rule's speaker and window, like callqa. A "positive" is a call
in which the agent broke the rule (a required phrase missing, a forbidden one said).

    python -m benchmarks.accuracy [--n 3000] [--seed S] [--show-errors 10]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from rapidfuzz import fuzz

from app.lexicon.compiler import PLACEHOLDER, Rule, default_lexicon_dir, load_lexicon
from app.models import Call, variable_forms
from app.score.scorer import _window, score_call
from app.text.turns import build_call_text
from benchmarks.dataset import labeled_calls

RULES = ["greeting", "closing", "forbidden", "profanity", "polite", "outbound_confirm"]
POLITE = ["请", "您", "谢谢", "感谢", "对不起", "抱歉", "不好意思", "麻烦"]


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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000, help="number of calls (default 3000)")
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--show-errors", type=int, default=0, metavar="K", help="print up to K misjudged calls per rule")
    args = ap.parse_args(argv)

    lex = load_lexicon(default_lexicon_dir())
    data = labeled_calls(args.n, args.seed)
    systems = ("callqa", "substring", "partial_ratio>=80")
    counts = {s: {r: Counter() for r in RULES} for s in systems}
    errors: dict[str, list[str]] = {r: [] for r in RULES}
    noise = Counter()
    t0 = time.perf_counter()
    for item in data:
        call = Call.model_validate(item.call)
        # The truth for `polite` follows from what the agent said before any ASR noise.
        noise.update(item.noise)
        result = score_call(call, lex)
        by_rule = {r.rule_id: r for r in result.rules}
        ct = build_call_text(call, lex.sound_lut)
        for rid in RULES:
            rule = lex.rule(rid)
            truth = item.labels[rid]
            preds = {
                "callqa": by_rule[rid].status == "failed",
                "substring": baseline_violation(rule, call, ct, call.direction, _substring),
                "partial_ratio>=80": baseline_violation(rule, call, ct, call.direction, _partial),
            }
            for s, pred in preds.items():
                key = "tp" if pred and truth else "fp" if pred else "fn" if truth else "tn"
                counts[s][rid][key] += 1
            if preds["callqa"] != truth and len(errors[rid]) < args.show_errors:
                agent = " / ".join(u.text for u in call.utterances if u.speaker == "agent")
                hits = "; ".join(f"{h.phrase}={h.matched!r}({h.method})" for h in by_rule[rid].hits)
                errors[rid].append(f"  {'FALSE ACCUSATION' if preds['callqa'] else 'MISSED'} {call.call_id}: {agent[:160]}  [{hits}]")
    elapsed = time.perf_counter() - t0

    print(f"accuracy benchmark: {len(data)} labeled calls (seed {args.seed}), lexicon {lex.version}, {elapsed:.1f} s")
    print("noise in the set (calls with at least one):", ", ".join(f"{k} {v}" for k, v in sorted(noise.items())))
    print()
    header = f"{'rule':<17}{'pos':>5}  " + "  ".join(f"{s:^26}" for s in systems)
    print(header)
    print(f"{'':<17}{'':>5}  " + "  ".join(f"{'P':>6}{'R':>6}{'F1':>6}{'FP':>5}   " for _ in systems))
    totals = {s: Counter() for s in systems}
    for rid in RULES:
        row = f"{rid:<17}{counts['callqa'][rid]['tp'] + counts['callqa'][rid]['fn']:>5}  "
        for s in systems:
            c = counts[s][rid]
            totals[s].update(c)
            p, r, f = prf(c["tp"], c["fp"], c["fn"])
            row += f"{p:>6.3f}{r:>6.3f}{f:>6.3f}{c['fp']:>5}   "
        print(row)
    row = f"{'all rules':<17}{totals['callqa']['tp'] + totals['callqa']['fn']:>5}  "
    for s in systems:
        c = totals[s]
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        row += f"{p:>6.3f}{r:>6.3f}{f:>6.3f}{c['fp']:>5}   "
    print(row)
    print("\nP precision, R recall, FP false accusations (calls flagged for a rule the agent kept).")
    for rid, errs in errors.items():
        if errs:
            print(f"\n{rid}:")
            print("\n".join(errs))


if __name__ == "__main__":
    main()
