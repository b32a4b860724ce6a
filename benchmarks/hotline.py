"""Calls in a real hotline's texture, combined from parts: the center's scripted openings with
an operator number and the brand slot garbled as recognizers garble it, closings, the customer's
voice echoed on the agent's channel, and blunt answers (benchmarks/blunt.py).

Every list of parts is split in two by a hash of the part: `--split dev` builds calls from the
half the rules were developed against, `--split held` from the half kept aside. Labels are what a
supervisor listening to the call would rule, and they follow from how each call was put together:

- an opening that reads the center's script passes however the recognizer wrote the brand (one
  syllable replaced by any other, or beyond recognition): the agent read the script;
- an opening with no company, the company only inside a question, or only the operator's number
  fails;
- a closing passes when the agent said 再见 (written by its sound too); an echo of the
  customer's 再见 on the agent's channel is no closing, nor is 我再检查一下;
- the customer's 不知道 echoed on the agent's channel accuses no one.

Each call is scored with the company configured, and again with the center's scripts configured
as CALLQA_SCRIPTS would give them.

    python -m benchmarks.hotline [--n 2000] [--split dev|held|all] [--seed 11] [--show-errors 5]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter

from benchmarks.blunt import _half, answers

COMPANIES = [("瑞丰电器", "瑞丰", "电器"), ("凌岳科技", "凌岳", "科技"), ("鑫源燃气", "鑫源", "燃气"), ("蓝天空调", "蓝天", "空调"),
             ("华美家居", "华美", "家居"), ("安信保险", "安信", "保险"), ("顺达物流", "顺达", "物流"), ("金穗银行", "金穗", "银行"),
             ("晶鑫净水", "晶鑫", "净水"), ("千禧物业", "千禧", "物业"), ("尚品家电", "尚品", "家电"), ("泰和空调", "泰和", "空调"),
             ("佳禾净水", "佳禾", "净水"), ("美森厨电", "美森", "厨电"), ("东方雨虹防水", "东方雨虹", "防水"), ("宏图物流", "宏图", "物流")]
# What a recognizer writes for a syllable it did not catch: any common character.
OTHER_SYLLABLES = list("东空岁兴有风和平安达成利发金通明光华新中天宝富")
COMMON_WORDS = ["有空", "东西", "一下", "时候", "知道", "发生", "工作", "问题", "地方"]
GREETINGS = ["您好", "你好", "上午好", "下午好", "晚上好"]
NUMERALS = "零一二三四五六七八九"
NAMES = ["张先生", "王女士", "李先生", "刘女士", "陈先生", "赵女士"]
# The center's openings: its script (with slots, as configured) and how the agent reads it.
OPENINGS = [
    ("{number}号为您服务{greeting}{company}售后很高兴为您服务请问有什么可以帮您",
     "{number}号为您服务 {greeting} {brand}售后 很高兴为您服务 请问有什么可以帮您"),
    ("{greeting}这边是{company}厂方客服中心请问是",
     "{greeting} 这边是{brand}{trade}厂方客服中心 请问是{name}吗"),
    ("{greeting}欢迎致电{company}请问有什么可以帮您", "{greeting} 欢迎致电{brand}{trade} 请问有什么可以帮您"),
    ("{greeting}{company}客服{number}号为您服务", "{greeting} {brand}客服 {number}号为您服务"),
    ("{greeting}{company}售后服务中心{number}号很高兴为您服务", "{greeting} {brand}售后服务中心 {number}号 很高兴为您服务"),
    ("{number}号{greeting}这里是{company}客服热线", "{number}号 {greeting} 这里是{brand}{trade}客服热线 请讲"),
]
BAD_OPENINGS = [("no-company", "{greeting} 请问有什么可以帮您"), ("number-only", "{number}号为您服务"),
                ("asked-about", "{greeting} 请问您是在{brand}官网买的还是网上买的"), ("no-greeting", "喂 请讲"),
                ("no-company", "{greeting} 请讲 有什么事")]
FRAME_SLIPS = {"厂方": "厂房", "客服": "客户", "售后": "受后"}
CLOSINGS = ["感谢来电 再见", "好的 再见", "祝您生活愉快 再见", "好的那先这样 再见", "不客气 在见", "感谢您的耐心等待 再见"]
NO_CLOSINGS = ["好的 就这样", "那您等通知吧", "好的 我再检查一下"]
CUSTOMER = ["我家空调不制冷了", "我的快递三天了还没到", "我想问一下理赔进度", "上次修完又坏了", "能不能周末上门"]


def number(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 4)))
    return digits if rng.random() < 0.4 else "".join(NUMERALS[int(d)] for d in digits).replace("一", rng.choice("一幺"))


def heard_brand(brand: str, rng: random.Random, tags: list[str]) -> str:
    r = rng.random()
    if r < 0.35:
        return brand
    if r < 0.8:  # one syllable replaced by any other
        i = rng.randrange(len(brand))
        tags.append("brand-one-syllable")
        return brand[:i] + rng.choice([c for c in OTHER_SYLLABLES if c != brand[i]]) + brand[i + 1:]
    tags.append("brand-beyond-recognition")
    return rng.choice(COMMON_WORDS) if len(brand) == 2 else rng.choice(COMMON_WORDS) + rng.choice(COMMON_WORDS)


def make_call(i: int, split: str, rng: random.Random, blunt_pool: list) -> tuple[dict, dict[str, bool], list[str], dict]:
    companies = _half(COMPANIES, split, "company")
    openings = _half(OPENINGS, split, "opening")
    name, brand, trade = rng.choice(companies)
    script, said = rng.choice(openings)
    tags: list[str] = []
    labels = {"greeting": False, "closing": False, "forbidden": False}
    fill = {"greeting": rng.choice(GREETINGS), "number": number(rng), "name": rng.choice(NAMES), "trade": trade}
    if rng.random() < 0.15:
        kind, said = rng.choice(BAD_OPENINGS)
        tags.append(f"opening-{kind}")
        labels["greeting"] = True
        fill["brand"] = brand
    else:
        tags.append("opening-script")
        fill["brand"] = heard_brand(brand, rng, tags)
    opening = said.format(**fill)
    for a, b in FRAME_SLIPS.items():
        if a in opening and rng.random() < 0.3:
            opening = opening.replace(a, b)
            tags.append("frame-slip")
    t = 0
    utts = []

    def say(speaker: str, text: str, start: int | None = None) -> dict:
        nonlocal t
        start = t if start is None else start
        u = {"speaker": speaker, "text": text, "start_ms": start, "end_ms": start + max(300, 210 * len(text))}
        utts.append(u)
        t = max(t, u["end_ms"] + rng.randint(200, 700))
        return u

    if "请问是" in script:  # an outbound call: the customer picks up first
        say("customer", "喂")
    say("agent", opening)
    say("customer", rng.choice(CUSTOMER))
    answer = rng.choice(blunt_pool)
    if rng.random() < 0.5:
        say("agent", answer.text)
        labels["forbidden"] = answer.blunt
        tags.append(answer.kind)
    else:
        say("agent", "好的我帮您登记一下")
    if rng.random() < 0.25:  # the customer's not knowing, echoed on the agent's channel
        u = say("customer", rng.choice(["我也不知道", "这个我也不清楚", "我真不知道"]))
        lag = rng.randint(100, 450)
        echo = u["text"][-3:] if rng.random() < 0.5 else u["text"]
        utts.append({"speaker": "agent", "text": echo, "start_ms": u["end_ms"] - 210 * len(echo) + lag,
                     "end_ms": u["end_ms"] + lag})
        tags.append("echo-blunt")
    say("customer", "好的谢谢")
    r = rng.random()
    if r < 0.6:
        say("agent", rng.choice(CLOSINGS))
    elif r < 0.8:  # the customer's goodbye echoed on the agent's channel, the agent's own none
        say("agent", rng.choice(NO_CLOSINGS[:2]))
        u = say("customer", "好的再见")
        utts.append({"speaker": "agent", "text": "再见", "start_ms": u["end_ms"] - 420 + rng.randint(100, 400),
                     "end_ms": u["end_ms"] + rng.randint(100, 400)})
        labels["closing"] = True
        tags.append("echo-goodbye")
    else:
        say("agent", rng.choice(NO_CLOSINGS))
        labels["closing"] = True
        tags.append("no-closing")
    utts.sort(key=lambda u: u["start_ms"])
    call = {"call_id": f"ht-{i:05d}", "variables": {"company": {"name": name, "aliases": [brand]}}, "utterances": utts}
    return call, labels, tags, {"greeting": (script,)}


def main(argv: list[str] | None = None) -> None:
    from app.lexicon.compiler import default_lexicon_dir, load_lexicon
    from app.models import Call
    from app.score.scorer import ScoringConfig, score_call
    from benchmarks.accuracy import prf

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--split", choices=["dev", "held", "all"], default="held")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--show-errors", type=int, default=0)
    args = ap.parse_args(argv)
    lex = load_lexicon(default_lexicon_dir())
    rng = random.Random(args.seed)
    pool = answers(2000, args.split, random.Random(args.seed + 1))
    scripts = [s for s, _ in _half(OPENINGS, args.split, "opening")]
    configs = {"company configured": ScoringConfig(),
               "scripts configured": ScoringConfig(scripts={"greeting": tuple(scripts)})}
    counts = {c: {r: Counter() for r in ("greeting", "closing", "forbidden")} for c in configs}
    tagged: dict[str, Counter] = {}
    errors: list[str] = []
    for i in range(args.n):
        call, labels, tags, _ = make_call(i, args.split, rng, pool)
        model = Call.model_validate(call)
        for cname, config in configs.items():
            result = score_call(model, lex, config)
            for r in result.rules:
                if r.rule_id not in labels:
                    continue
                said, truth = r.status == "failed", labels[r.rule_id]
                counts[cname][r.rule_id]["tp" if said and truth else "fp" if said else "fn" if truth else "tn"] += 1
                if cname == "company configured":
                    for tag in tags:
                        tagged.setdefault(f"{r.rule_id}:{tag}", Counter())[said == truth] += 1
                if said != truth and len(errors) < args.show_errors * 6:
                    agent = " / ".join(u["text"] for u in call["utterances"] if u["speaker"] == "agent")
                    errors.append(f"  [{cname}] {r.rule_id} {'FLAGGED' if said else 'PASSED'} {call['call_id']} "
                                  f"{tags}: {agent[:150]}")
    print(f"hotline-texture calls, split {args.split}, {args.n} calls, seed {args.seed}, lexicon {lex.version}")
    for cname, by_rule in counts.items():
        print(f"{cname}:")
        for rid, c in by_rule.items():
            p, rec, f = prf(c["tp"], c["fp"], c["fn"])
            agree = (c["tp"] + c["tn"]) / max(1, sum(c.values()))
            print(f"  {rid:<9} agree {agree:.3f}  P {p:.3f} R {rec:.3f} F1 {f:.3f}  false accusations {c['fp']}")
    relevant = {"greeting": ("opening-", "brand-", "frame-"), "closing": ("echo-goodbye", "no-closing"),
                "forbidden": ("blunt-", "innocent-", "echo-blunt")}
    print("agreement by phenomenon (company configured): " + ", ".join(
        f"{k} {c[True] / sum(c.values()):.3f} ({sum(c.values())})" for k, c in sorted(tagged.items())
        if k.split(":")[1].startswith(relevant[k.split(":")[0]])))
    print("\n".join(errors))


if __name__ == "__main__":
    main()
