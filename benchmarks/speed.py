"""Speed benchmark: calls/s and characters/s of `callqa score` on a large generated file,
beside two baselines run in the same process on the same calls:

- plain pipeline: jieba.lcut of every utterance, then rapidfuzz partial_ratio of every
  lexicon phrase against it (what a first version of such a checker usually does);
- bare pyahocorasick: one exact automaton of every phrase, scanned over every utterance
  (no normalization, no rules: a floor for "just find strings").

Also: per-call latency of scoring a call of about 1,500 characters, and peak memory.

    python -m benchmarks.speed [--calls 20000] [--baseline-calls 400] [--against GIT_REF]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.lexicon.compiler import PLACEHOLDER, default_lexicon_dir, load_lexicon
from app.models import Call
from app.score.scorer import score_call
from benchmarks.dataset import AGENT_FORBIDDEN, AGENT_LOOKALIKE, AGENT_NEUTRAL, CLOSE_GOOD, COMPANIES, GREET_GOOD, noisy

CACHE = Path(".bench")

# Everyday service talk, so that the speed corpus reads like a real call rather than the
# accuracy set's dense mix of look-alikes.
AGENT_TALK = AGENT_NEUTRAL + [
    "您的工单已经提交成功了，工单号我稍后通过短信发给您，请您注意查收。",
    "根据您描述的情况，可能是滤网比较脏了，建议您先清洗一下滤网再试试。",
    "我们的师傅会在上门前半小时给您打电话，请您保持电话畅通。",
    "这款机器的保修期是整机三年，压缩机十年，您的购买日期还在保修范围内。",
    "上门检测是免费的，如果需要更换配件，师傅会先跟您确认费用。",
    "麻烦您再核对一下地址，是幸福路八号三单元五零二对吧？",
    "好的，已经帮您备注了，周末上午师傅优先安排。",
    "您说的这个情况我已经详细记录下来了，会尽快给您处理。",
    "为了更好地为您服务，通话结束后可能会有一条满意度短信，请您给我们评价一下。",
    "这个型号的遥控器可以在我们的官方商城单独购买，也可以让师傅上门时带过去。",
    "系统显示您上个月也报修过一次，当时是更换了主板，对吗？",
    "您先把电源拔掉，等五分钟再插上，看看能不能正常启动。",
]
CUSTOMER_TALK = [
    "我家空调不制冷了，开了一个多小时还是热的。", "型号是KFR-35GW，去年六月份买的。", "地址是东城区幸福路八号三单元五零二。",
    "好的。", "嗯，明白了。", "那你们什么时候能来？", "周末上午可以吗？我平时要上班。", "费用大概多少钱？",
    "上次修完没多久又坏了，你们这个质量也太差了吧。", "行，那我等师傅电话。", "对，是这个地址。", "我试过了，还是不行。",
]


def speed_call(i: int, rng: random.Random) -> dict:
    """A call of some 1,200 to 1,800 characters: turns of one to three sentences."""
    name, aliases, garbled = rng.choice(COMPANIES)
    kinds: list[str] = []
    turns = [("agent", rng.choice(GREET_GOOD).format(co=name, num="六零二三"))]
    length = len(turns[0][1])
    target = rng.randint(1200, 1800)
    while length < target:
        turns.append(("customer", "".join(rng.choice(CUSTOMER_TALK) for _ in range(rng.randint(1, 2)))))
        parts = []
        for _ in range(rng.randint(1, 3)):
            r = rng.random()
            parts.append(rng.choice(AGENT_FORBIDDEN if r < 0.02 else AGENT_LOOKALIKE if r < 0.1 else AGENT_TALK))
        turns.append(("agent", "".join(parts)))
        length += len(turns[-2][1]) + len(turns[-1][1])
    turns.append(("agent", rng.choice(CLOSE_GOOD)))
    utterances, t = [], 0
    for speaker, text in turns:
        if speaker == "agent":
            text = noisy(text, rng, kinds, rate=0.2)
        dur = 150 * max(len(text), 4)
        utterances.append({"speaker": speaker, "text": text, "start_ms": t, "end_ms": t + dur})
        t += dur + rng.randint(200, 1500)
    return {"call_id": f"spd-{i:06d}", "agent_id": f"a-{i % 50:02d}", "started_at": "2026-11-02T09:30:00+08:00",
            "variables": {"company": {"name": name, "aliases": aliases}}, "utterances": utterances}


def generate(n: int, seed: int, path: Path) -> tuple[int, int]:
    """n calls as JSONL; returns (calls, characters)."""
    rng = random.Random(seed)
    chars = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            call = speed_call(i, rng)
            chars += sum(len(u["text"]) for u in call["utterances"])
            fh.write(json.dumps(call, ensure_ascii=False) + "\n")
    return n, chars


def _phrases(lex, company: str) -> list[str]:
    out = []
    for p in lex.phrases:
        text = p.text.replace("*", "")
        for name in PLACEHOLDER.findall(text):
            text = text.replace("{" + name + "}", company)
        out.append(text)
    return out


def plain_pipeline(calls: list[Call], phrases: list[str]) -> float:
    import jieba
    from rapidfuzz import fuzz

    jieba.initialize()
    t0 = time.perf_counter()
    for call in calls:
        for u in call.utterances:
            words = jieba.lcut(u.text)
            text = "".join(words)
            for p in phrases:
                fuzz.partial_ratio(p, text)
    return time.perf_counter() - t0


def bare_automaton(calls: list[Call], phrases: list[str]) -> float:
    import ahocorasick

    a = ahocorasick.Automaton()
    for p in phrases:
        a.add_word(p, p)
    a.make_automaton()
    t0 = time.perf_counter()
    n = 0
    for call in calls:
        for u in call.utterances:
            for _ in a.iter(u.text):
                n += 1
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=20000, help="calls in the generated file (default 20000)")
    ap.add_argument("--baseline-calls", type=int, default=400, help="calls run through the slow plain pipeline (default 400)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best and the median are shown (default 3)")
    ap.add_argument("--against", metavar="GIT_REF", help="also run `callqa score` of another version (a commit, tag or "
                    "branch of this repository) on the same file, taking turns with this one")
    args = ap.parse_args(argv)

    CACHE.mkdir(exist_ok=True)
    data = CACHE / f"speed-v2-{args.calls}-{args.seed}.jsonl"
    if not data.exists():
        generate(args.calls, args.seed, data)
    lines = data.read_text(encoding="utf-8").splitlines()
    calls = [Call.model_validate_json(line) for line in lines]
    n_chars = sum(len(u.text) for c in calls for u in c.utterances)
    print(f"speed benchmark: {len(calls)} calls, {n_chars:,} characters "
          f"({n_chars / len(calls):.0f} per call, {sum(len(c.utterances) for c in calls) / len(calls):.0f} utterances), "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")

    # 1. callqa score, end to end, as a user runs it (one process, one core). The child
    # reports its own peak memory: a forked child's counter would include this process.
    # (VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked parent.)
    runner = ("import re, sys; from app.cli import main; rc = main(sys.argv[1:]); "
              "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()); "
              "print('peak_kb', hwm.group(1) if hwm else 0, file=sys.stderr); sys.exit(rc)")
    def end_to_end(code: Path | None, workers: int | None = None) -> tuple[float, float, float]:
        """(wall seconds, CPU seconds, peak MB) of one `callqa score` run over the file;
        `code`: another checkout of callqa to run instead of this one (its own lexicons
        included). CPU time is what the run itself used: on a shared machine it varies far less
        than the wall clock."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.jsonl"
            env = dict(os.environ, PYTHONPATH=str(code)) if code else None
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            extra = ["--workers", str(workers)] if workers else []
            proc = subprocess.run([sys.executable, "-c", runner, "score", str(data.resolve()), "-o", str(out),
                                   "--no-progress", *extra], capture_output=True, text=True, cwd=code, env=env)
            seconds = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                raise SystemExit(f"callqa score failed: {proc.stderr[-2000:]}")
            assert sum(1 for _ in out.open(encoding="utf-8")) == len(calls)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return seconds, cpu, int(proc.stderr.rsplit("peak_kb", 1)[1].split()[0]) / 1024

    walls, cpus, others, other_cpus, alls = [], [], [], [], []
    with tempfile.TemporaryDirectory() as checkout:
        if args.against:
            # the other version, from git, run in turn with this one so both meet the same
            # spells of a shared machine
            archive = subprocess.run(["git", "archive", args.against], capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", checkout], input=archive, check=True)
        for _ in range(args.repeat):
            if args.against:
                seconds, cpu, _ = end_to_end(Path(checkout))
                others.append(seconds)
                other_cpus.append(cpu)
            seconds, cpu, peak_mb = end_to_end(None, workers=1)
            walls.append(seconds)
            cpus.append(cpu)
            alls.append(end_to_end(None)[0])  # the default: every core
    wall = min(walls)
    exe = Path(sys.executable).with_name("callqa")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "version"], capture_output=True, check=True)
    startup = time.perf_counter() - t0

    # 2. in process: parse + score + serialize, no start-up
    lex = load_lexicon(default_lexicon_dir())
    score_call(calls[0], lex)  # warm the tokenizer
    inprocs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for line in lines:
            score_call(Call.model_validate_json(line), lex).model_dump_json(exclude_none=True)
        inprocs.append(time.perf_counter() - t0)
    inproc = min(inprocs)

    # 3. latency of one call of about 1,500 characters (score only)
    sized = [c for c in calls if 1300 <= sum(len(u.text) for u in c.utterances) <= 1700][:3000]
    lat = []
    for c in sized:
        t = time.perf_counter()
        score_call(c, lex)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()

    # 4. baselines on the same calls
    phrases = _phrases(lex, "瑞丰电器")
    sub = calls[: args.baseline_calls]
    sub_chars = sum(len(u.text) for c in sub for u in c.utterances)
    plain = min(plain_pipeline(sub, phrases) for _ in range(args.repeat))
    bare = min(bare_automaton(calls, phrases) for _ in range(args.repeat))

    def row(name, seconds, n, chars, note=""):
        print(f"  {name:<34}{n / seconds:>10,.0f} calls/s{chars / seconds / 1e6:>9.2f} M chars/s   {note}")

    print()
    med = statistics.median(walls)
    every = min(alls)
    row(f"callqa score (end to end, all {os.cpu_count()} cores), best", every, len(calls), n_chars,
        f"{every:.1f} s; median {statistics.median(alls):.1f} s")
    row("callqa score --workers 1, best", wall, len(calls), n_chars, f"{wall:.1f} s incl. {startup:.1f} s start-up; peak RSS {peak_mb:.0f} MB")
    row(f"callqa score --workers 1, median/{args.repeat}", med, len(calls), n_chars)
    row("callqa score --workers 1, CPU time, best", min(cpus), len(calls), n_chars, f"{min(cpus):.1f} s of CPU")
    if others:
        row(f"  {args.against} in the same run, best", min(others), len(calls), n_chars, f"{min(others):.1f} s")
        row(f"  {args.against} in the same run, median", statistics.median(others), len(calls), n_chars,
            f"this version on all cores takes {every / min(others):.2f}x the time (best), "
            f"{statistics.median(alls) / statistics.median(others):.2f}x (median)")
        print(f"{'':36}on one core: {wall / min(others):.2f}x the time (best), {med / statistics.median(others):.2f}x (median)")
        row(f"  {args.against} in the same run, CPU, best", min(other_cpus), len(calls), n_chars,
            f"this version takes {min(cpus) / min(other_cpus):.2f}x the CPU time on one core (best), "
            f"{statistics.median(cpus) / statistics.median(other_cpus):.2f}x (median)")
    row("callqa in process (parse+score+json)", inproc, len(calls), n_chars, f"best of {args.repeat}; median {len(calls) / statistics.median(inprocs):,.0f} calls/s")
    row(f"plain jieba+partial_ratio ({len(phrases)} phr.)", plain, len(sub), sub_chars, f"on {len(sub)} calls")
    row("bare pyahocorasick exact scan", bare, len(calls), n_chars, "finds strings only")
    print()
    print(f"  callqa end to end on one core vs plain pipeline: {(len(calls) / wall) / (len(sub) / plain):.0f}x calls/s "
          "(best runs of each)")
    print(f"  latency of a ~1,500-character call ({len(lat)} calls): p50 {statistics.median(lat):.2f} ms, "
          f"p99 {lat[int(len(lat) * 0.99) - 1]:.2f} ms, max {lat[-1]:.2f} ms")


if __name__ == "__main__":
    main()
