"""Real calls nobody here wrote: callqa's verdicts against a QA supervisor's labels
(benchmarks/real_labels.yaml, ids and verdicts only).

The transcripts hold personal data and are not kept in this repository: put them in a folder
and name it with CALLQA_REAL_DIR (or --dir):

    DIR/clevo/transcription_table.json        34 real payment-hotline calls (iFlytek), from
        github.com/ChenLi0830/Clevo-Manual-Category-Service,
        serverless/dev/localDynamoDBSeed/transcription_table.json
    DIR/geocms/compare_strategies_real.py     one real Alibaba call (REAL_TRANSCRIPT_JSON), from
        github.com/franksunye/GeoCMS, backend/tests/compare_strategies_real.py

Where a file is missing, its part is skipped, saying so. The hotline calls are scored twice:
with the rules alone (the center names no company, so the greeting is not applicable), and with
the center's standard scripts configured as CALLQA_SCRIPTS would give them.

    python -m benchmarks.real [--dir DIR] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.models import Call
from app.score.scorer import ScoringConfig, score_call

LABELS = Path(__file__).with_name("real_labels.yaml")
RULES = ("greeting", "closing", "forbidden")
# The hotline's own opening and closing (标准话术), as the center would configure them.
CLEVO_SCRIPTS = {"greeting": ("{greeting}{number}为您服务请问有什么能帮您",), "closing": ("感谢来电请您稍后评价再见",)}


def clevo_calls(path: Path) -> dict[str, Call]:
    """The table's transcribed calls as native calls: speaker "1" the agent, as on most calls."""
    out = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        try:
            sentences = json.loads(item["transcriptionText"])
        except (json.JSONDecodeError, TypeError):
            continue  # (calls the recognizer returned nothing for)
        utterances = [{"speaker": "agent" if s["speaker"] == "1" else "customer", "text": s["onebest"],
                       "start_ms": int(s["bg"]), "end_ms": int(s["ed"])} for s in sentences]
        out[item["fileName"]] = Call.model_validate({"call_id": item["fileName"], "utterances": utterances})
    return out


def geocms_doc(path: Path) -> bytes:
    """The Alibaba sentences of the GeoCMS test file, as an Alibaba file transcription result."""
    found = re.search(r'REAL_TRANSCRIPT_JSON = """(.*?)"""', path.read_text(encoding="utf-8"), re.S)
    return json.dumps({"Result": {"Sentences": json.loads(found.group(1))}}, ensure_ascii=False).encode()


def judge(calls: dict[str, Call], labels: list[dict], lex, config: ScoringConfig, quiet: bool) -> dict[str, Counter]:
    tally = {r: Counter() for r in RULES}
    for item in labels:
        call = calls.get(item["id"])
        if call is None:
            print(f"  {item['id']}: not in the table")
            continue
        result = score_call(call, lex, config)
        by_rule = {r.rule_id: r for r in result.rules}
        for rid in RULES:
            r = by_rule[rid]
            truth = item[rid] == "fail"
            if r.status == "not_applicable":
                tally[rid]["n/a"] += 1
                continue
            said = r.status == "failed"
            tally[rid]["tp" if said and truth else "fp" if said else "fn" if truth else "tn"] += 1
            if said != truth and not quiet:
                what = "FLAGGED, the supervisor passes it" if said else "PASSED, the supervisor fails it"
                hits = "; ".join(f"{h.phrase}={h.matched!r}" for h in r.hits)[:120]
                print(f"  {rid:<9} {what}: {item['id']}  [{hits}]  supervisor: {item['why']}")
    return tally


def report(title: str, tally: dict[str, Counter]) -> None:
    print(title)
    for rid, c in tally.items():
        judged = c["tp"] + c["tn"] + c["fp"] + c["fn"]
        agree = (c["tp"] + c["tn"]) / judged if judged else float("nan")
        extra = f", not applicable {c['n/a']}" if c["n/a"] else ""
        print(f"  {rid:<9} agree {c['tp'] + c['tn']}/{judged} = {agree:.3f}  (violations found {c['tp']}, missed "
              f"{c['fn']}, false accusations {c['fp']}{extra})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=os.environ.get("CALLQA_REAL_DIR"),
                    help="folder of the real transcripts (default: CALLQA_REAL_DIR)")
    ap.add_argument("--quiet", action="store_true", help="figures only, not each disagreement")
    args = ap.parse_args(argv)
    if args.dir is None:
        print("real-call benchmark skipped: no folder of real transcripts (set CALLQA_REAL_DIR or --dir; "
              "python -m benchmarks.real --help says what goes in it)")
        return 0
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    lex = load_lexicon(default_lexicon_dir())
    print(f"real calls, lexicon {lex.version}, labels {LABELS.name}")
    table = args.dir / "clevo" / "transcription_table.json"
    if table.is_file():
        calls = clevo_calls(table)
        print(f"\nClevo payment hotline: {len(labels['clevo'])} labelled calls")
        plain = judge(calls, labels["clevo"], lex, ScoringConfig(), args.quiet)
        report("  rules alone (no company is named on this line):", plain)
        print()
        scripted = judge(calls, labels["clevo"], lex, ScoringConfig(scripts=CLEVO_SCRIPTS), args.quiet)
        report("  with the center's scripts configured (CALLQA_SCRIPTS):", scripted)
    else:
        print(f"\nClevo payment hotline skipped: no {table}")
    source = args.dir / "geocms" / "compare_strategies_real.py"
    if source.is_file():
        from app.errors import InputError
        from app.ingest.formats import Hints, read_body

        for item in labels["geocms"]:
            for company in ((), (item["company"],)):
                try:
                    (call,) = read_body(geocms_doc(source), hints=Hints(company=company), fallback_call_id=item["id"])
                    got = f"agent is speaker {call.source.agent_speaker!r} ({call.source.roles})"
                    ok = call.source.agent_speaker == item["agent"]
                except InputError as exc:
                    got, ok = f"refused: {str(exc)[:90]}", False
                print(f"\nGeoCMS Alibaba call {item['id']}, company {'given' if company else 'not given'}: {got}; "
                      f"the supervisor: speaker {item['agent']!r}{'' if ok else '  <- disagrees'}")
    else:
        print(f"\nGeoCMS call skipped: no {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
