"""What reading a recognizer's JSON costs: `callqa score` end to end on the same calls written
in native JSON and in each JSON format app.ingest reads (one call per line), with the roles
inferred from the speech as they would be for a real file (or, with --mapped, given). Reports
CPU seconds of each run (less noisy than the wall clock on a shared machine; best of --repeat)
and the time added over native JSON two ways: best run against best run, and the median over
the rounds of each format's run against a native run made right beside it (a paired figure:
a lucky or slow spell of the machine moves both sides of each pair). Every format has a
native run of its own in each round, so a round runs native JSON once per format.

    python -m benchmarks.ingest [--calls 20000] [--repeat 2] [--formats aliyun tencent ...] [--mapped]

Target: under 10% added for every format.

Then role inference: calls of the speed corpus and of the real-style set (fragments, crosstalk,
garbled brands), written as Alibaba files whose channels say nothing of roles, read with the
agent inferred: how many come out right, refused (roles unknown) and wrong. Wrong is the
figure that must stay 0: a customer scored as the agent is a false accusation.

    python -m benchmarks.ingest --roles-only
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.speed import CACHE, speed_call

COMPANY = "瑞丰电器"


def _ch(u: dict) -> int:
    return 0 if u["speaker"] == "agent" else 1


def aliyun(c: dict) -> dict:
    return {"TaskId": c["call_id"], "StatusCode": 21050000, "StatusText": "SUCCESS", "Result": {"Sentences": [
        {"ChannelId": _ch(u), "BeginTime": u["start_ms"], "EndTime": u["end_ms"], "Text": u["text"], "SpeechRate": 300,
         "EmotionValue": 6.0, "SilenceDuration": 0} for u in c["utterances"]]}}


def aliyun_flash(c: dict) -> dict:
    return {"task_id": c["call_id"], "status": 20000000, "message": "SUCCESS", "flash_result": {"duration": 0, "sentences": [
        {"text": u["text"], "begin_time": u["start_ms"], "end_time": u["end_ms"], "channel_id": _ch(u)} for u in c["utterances"]]}}


def tencent_flash(c: dict) -> dict:
    return {"request_id": c["call_id"], "code": 0, "message": "success", "flash_result": [{"channel_id": ch, "sentence_list": [
        {"text": u["text"], "start_time": u["start_ms"], "end_time": u["end_ms"], "speaker_id": 0}
        for u in c["utterances"] if _ch(u) == ch]} for ch in (0, 1)]}


def huawei(c: dict) -> dict:
    return {"job_id": c["call_id"], "status": "FINISHED", "segments": [
        {"start_time": u["start_ms"], "end_time": u["end_ms"],
         "result": {"text": u["text"], "score": 0.9, "analysis_info": {"role": f"speaker{_ch(u) + 1}", "speed": 5.0}}}
        for u in c["utterances"]]}


def paraformer(c: dict) -> dict:
    return {"transcripts": [{"channel_id": ch, "sentences": [
        {"begin_time": u["start_ms"], "end_time": u["end_ms"], "text": u["text"], "sentence_id": i}
        for i, u in enumerate(c["utterances"]) if _ch(u) == ch]} for ch in (0, 1)]}


def tencent(c: dict) -> dict:
    return {"Response": {"Data": {"TaskId": c["call_id"], "Status": 2, "ResultDetail": [
        {"FinalSentence": u["text"], "StartMs": u["start_ms"], "EndMs": u["end_ms"], "SpeakerId": _ch(u), "SpeechSpeed": 5.0}
        for u in c["utterances"]]}}}


def iflytek(c: dict) -> dict:
    lattice = [{"json_1best": json.dumps({"st": {"bg": str(u["start_ms"]), "ed": str(u["end_ms"]), "rl": str(_ch(u) + 1),
                                                 "rt": [{"ws": [{"cw": [{"w": u["text"], "wp": "n"}]}]}]}},
                                         ensure_ascii=False)} for u in c["utterances"]]
    return {"code": "000000", "content": {"orderInfo": {"orderId": c["call_id"]},
                                          "orderResult": json.dumps({"lattice": lattice}, ensure_ascii=False)}}


def aws_transcribe(c: dict) -> dict:
    return {"jobName": c["call_id"], "results": {"items": [], "audio_segments": [
        {"id": i, "transcript": u["text"], "start_time": f"{u['start_ms'] / 1000:.3f}", "end_time": f"{u['end_ms'] / 1000:.3f}",
         "speaker_label": f"spk_{_ch(u)}"} for i, u in enumerate(c["utterances"])]}}


def contact_lens(c: dict) -> dict:
    return {"CustomerMetadata": {"ContactId": c["call_id"]},
            "Participants": [{"ParticipantId": "AGENT", "ParticipantRole": "AGENT"},
                             {"ParticipantId": "CUSTOMER", "ParticipantRole": "CUSTOMER"}],
            "Transcript": [{"ParticipantId": u["speaker"].upper(), "BeginOffsetMillis": u["start_ms"],
                            "EndOffsetMillis": u["end_ms"], "Content": u["text"]} for u in c["utterances"]]}


def whisper(c: dict) -> dict:
    return {"segments": [{"start": u["start_ms"] / 1000, "end": u["end_ms"] / 1000, "text": u["text"],
                          "speaker": f"SPEAKER_0{_ch(u)}"} for u in c["utterances"]]}


def volcengine(c: dict) -> dict:
    return {"reqid": c["call_id"], "result": {"utterances": [
        {"text": u["text"], "start_time": u["start_ms"], "end_time": u["end_ms"], "additions": {"speaker": str(_ch(u) + 1)}}
        for u in c["utterances"]]}}


def speech_analytics(c: dict) -> dict:
    return {"mediaId": c["call_id"], "metadata": {"ContactID": c["call_id"], "Direction": 1},
            "plainTextTime": {"verbatims": [{"s": u["start_ms"], "e": u["end_ms"], "w": u["text"],
                                             "sp": u["speaker"].capitalize()} for u in c["utterances"]]}}


CONVERT = {"aliyun": aliyun, "aliyun-flash": aliyun_flash, "paraformer": paraformer, "tencent": tencent,
           "tencent-flash": tencent_flash, "iflytek": iflytek, "aws-transcribe": aws_transcribe, "contact-lens": contact_lens,
           "whisper": whisper, "huawei": huawei, "volcengine": volcengine, "speech-analytics": speech_analytics}


def write_sets(n: int, seed: int, formats: list[str]) -> dict[str, Path]:
    CACHE.mkdir(exist_ok=True)
    paths = {name: CACHE / f"ingest-{name}-{n}-{seed}.jsonl" for name in ["native", *formats]}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = random.Random(seed)
    handles = {name: p.open("w", encoding="utf-8") for name, p in paths.items()}
    try:
        for i in range(n):
            call = speed_call(i, rng)
            call.pop("variables")  # the company comes from --var in every run alike
            handles["native"].write(json.dumps(call, ensure_ascii=False) + "\n")
            for name in formats:
                handles[name].write(json.dumps(CONVERT[name](call), ensure_ascii=False) + "\n")
    finally:
        for fh in handles.values():
            fh.close()
    return paths


# The agent's label as each converter above writes it: what CALLQA_AGENT_SPEAKERS (or --agent)
# would map for these files. Formats that name the roles themselves are not listed.
AGENT_LABELS = {"aliyun": "0", "aliyun-flash": "0", "paraformer": "0", "tencent": "0", "tencent-flash": "0", "iflytek": "1",
                "aws-transcribe": "spk_0", "whisper": "SPEAKER_00", "huawei": "speaker1", "volcengine": "1"}


def run(path: Path, agent: str | None = None) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, results) of `callqa score` on the file; `agent`: the agent's
    label given (--agent), instead of inferring roles."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "app.cli", "score", str(path), "-o", str(out), "--no-progress", "--workers", "1",
                               "--var", f"company={COMPANY}", *(["--agent", agent] if agent else [])],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"callqa score {path.name} failed: {proc.stderr[-2000:]}")
        results = sum(1 for _ in out.open(encoding="utf-8"))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, results


def role_inference(n: int) -> None:
    from app.ingest.formats import Hints, read_body
    from app.ingest.roles import RolesUnknown
    from benchmarks.realstyle import make_call

    def company(c: dict) -> tuple[str, ...]:
        v = c.get("variables", {}).get("company")
        if isinstance(v, dict):
            return (v["name"], *v.get("aliases", []))
        return tuple(v) if isinstance(v, list) else (v,) if v else ()

    rng, real_rng = random.Random(5), random.Random(20261127)
    sets = {"speed corpus": [speed_call(i, rng) for i in range(n)],
            "real-style set": [make_call(i, real_rng).call for i in range(n)]}
    print(f"role inference, {n} calls per set written as Alibaba files (channel numbers only)")
    for name, calls in sets.items():
        for given in (True, False):
            right = refused = wrong = 0
            for c in calls:
                truth = [u["speaker"] for u in sorted((u for u in c["utterances"] if u["text"]), key=lambda u: u["start_ms"])]
                hints = Hints(company=company(c) if given else ())
                try:
                    (call,) = read_body(json.dumps(aliyun(c), ensure_ascii=False).encode(), hints=hints)
                except RolesUnknown:
                    refused += 1
                    continue
                right += [u.speaker for u in call.utterances] == truth
                wrong += [u.speaker for u in call.utterances] != truth
            print(f"  {name}, company {'given' if given else 'not given'}: right {right}, refused {refused}, wrong {wrong}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--formats", nargs="+", default=list(CONVERT), choices=list(CONVERT))
    ap.add_argument("--roles-only", action="store_true", help="only the role-inference figures")
    ap.add_argument("--role-calls", type=int, default=2000)
    ap.add_argument("--mapped", action="store_true", help="give each format's agent label (--agent), as a "
                    "configured mapping would, instead of inferring the roles")
    args = ap.parse_args()
    if args.roles_only:
        role_inference(args.role_calls)
        return
    paths = write_sets(args.calls, args.seed, args.formats)
    best: dict[str, tuple[float, float]] = {}
    ratios: dict[str, list[float]] = {name: [] for name in args.formats}
    for round_ in range(args.repeat):
        # each format run right beside a native run of its own, first or second in turn: the
        # machine's speed drifts over the minutes a round takes, little within one pair
        order = args.formats if round_ % 2 == 0 else args.formats[::-1]
        for i, name in enumerate(order):
            cpus = {}
            for which in (["native", name] if (round_ + i) % 2 == 0 else [name, "native"]):
                cpu, wall, results = run(paths[which], AGENT_LABELS.get(which) if args.mapped else None)
                if results != args.calls:
                    raise SystemExit(f"{which}: {results} results of {args.calls} calls")
                cpus[which] = cpu
                if which not in best or cpu < best[which][0]:
                    best[which] = (cpu, wall)
            ratios[name].append(cpus[name] / cpus["native"] - 1)
    base = best["native"][0]
    print(f"callqa score of {args.calls} calls (~1,600 characters each) per format, one call per line; "
          f"roles {'mapped (--agent)' if args.mapped else 'inferred where the format does not name them'}; "
          f"CPU seconds, best of {args.repeat} (native: of all its runs); added over native: best against best, "
          f"and the median over the rounds of each format's run against the native run beside it")
    print(f"{'format':<18}{'MB':>8}{'CPU s':>9}{'wall s':>9}{'calls/s':>10}   {'added (best)':>13}{'added (median)':>16}")
    worst = 0.0
    for name, (cpu, wall) in best.items():
        mb = paths[name].stat().st_size / 1e6
        line = f"{name:<18}{mb:8.1f}{cpu:9.2f}{wall:9.2f}{args.calls / cpu:10,.0f}   "
        if name == "native":
            print(line + f"{'—':>13}{'—':>16}")
            continue
        paired = statistics.median(ratios[name])
        worst = max(worst, paired)
        print(line + f"{cpu / base - 1:>+13.1%}{paired:>+16.1%}")
    print(f"most added by a format (median of rounds): {worst:+.1%} (target: under +10%)")
    if not args.mapped:
        role_inference(args.role_calls)


if __name__ == "__main__":
    main()
