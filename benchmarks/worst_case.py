"""Worst-case input: is scoring time linear in the size of the call?

Bodies of 100 KB, 1 MB and 5 MB (the service's default body limit) made of the repetitions
that cost the matcher most: a forbidden phrase over and over in one unpunctuated utterance,
with punctuation, phrases with exceptions to check at every hit, the closing word, fillers
the normalizer drops, and a call cut into tens of thousands of one-character fragments with
the other side's backchannels between them. For each: seconds to parse, score and serialize
(best of `--repeat`), and microseconds per kilobyte; linear time means the same µs/KB at
every size.

    python -m benchmarks.worst_case [--sizes 100K 1M 5M] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import time

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.models import Call, CallResult
from app.score.scorer import score_call

ONE_UTTERANCE = {
    "我不知道": "我不知道",
    "我不知道。": "我不知道。",
    "不行": "不行",
    "还是不行吗": "还是不行吗",
    "再见": "再见",
    "嗯": "嗯",
    "那个": "那个",
    "您好瑞丰电器": "您好瑞丰电器",
    "这事我们不管你自己去找": "这事我们不管你自己去找",
}


def _size(text: str) -> int:
    text = text.upper()
    mult = {"K": 1024, "M": 1024 * 1024}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * mult)


def one_utterance(unit: str, size: int) -> bytes:
    n = max(1, size // len(unit.encode()))
    return json.dumps({"call_id": "w", "utterances": [{"speaker": "agent", "text": unit * n}]},
                      ensure_ascii=False).encode()


def fragments(size: int) -> bytes:
    """One-character agent fragments with a customer 嗯 between each, times overlapping."""
    utts = []
    approx = 0
    i = 0
    while approx < size:
        utts.append({"speaker": "agent", "text": "不知道"[i % 3], "start_ms": i * 100, "end_ms": i * 100 + 150})
        utts.append({"speaker": "customer", "text": "嗯", "start_ms": i * 100 + 50, "end_ms": i * 100 + 90})
        approx += 140
        i += 1
    return json.dumps({"call_id": "w", "utterances": utts}, ensure_ascii=False).encode()


def run(body: bytes, lex, repeat: int) -> tuple[float, str]:
    to_json = CallResult.__pydantic_serializer__.to_json
    best = float("inf")
    summary = ""
    for _ in range(repeat):
        t = time.perf_counter()
        call = Call.model_validate_json(body)
        result = score_call(call, lex)
        out = to_json(result, exclude_none=True)
        best = min(best, time.perf_counter() - t)
        hits = sum(len(r.hits) for r in result.rules)
        summary = f"score {result.score:g}, {hits} hits listed, answer {len(out) / 1024:.0f} KB"
    return best, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["100K", "1M", "5M"])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    lex = load_lexicon(default_lexicon_dir())
    sizes = [_size(s) for s in args.sizes]
    cases = [(f"one utterance of {name!r} repeated", lambda n, u=unit: one_utterance(u, n))
             for name, unit in ONE_UTTERANCE.items()]
    cases.append(("1-character fragments, a backchannel between each", fragments))
    print(f"worst-case bodies, lexicon {lex.version}; seconds to parse, score and serialize (best of {args.repeat}), "
          "and µs per KB of body")
    print(f"{'input':<52}" + "".join(f"{s:>22}" for s in args.sizes) + "   growth (last / first µs per KB)")
    worst = 0.0
    for name, make in cases:
        cells, per_kb, note = [], [], ""
        for size in sizes:
            body = make(size)
            seconds, note = run(body, lex, args.repeat)
            per_kb.append(seconds * 1e6 / (len(body) / 1024))
            cells.append(f"{seconds:8.2f} s {per_kb[-1]:7.0f} µs/KB")
        growth = per_kb[-1] / per_kb[0]
        worst = max(worst, growth)
        print(f"{name:<52}" + "".join(f"{c:>22}" for c in cells) + f"   {growth:5.2f}x   ({note})")
    print(f"largest growth of time per KB from {args.sizes[0]} to {args.sizes[-1]}: {worst:.2f}x "
          "(1.0 is exactly linear)")


if __name__ == "__main__":
    main()
