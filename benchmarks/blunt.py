"""Blunt answers and their innocent look-alikes, combined from parts rather than written one by
one: thousands of agent answers, each labelled by how it was put together.

A blunt answer is   [topic] [who] [adverb] CORE [particle] [what follows: nothing, an excuse,
                    a dismissal]
and an innocent one puts a core in a frame that changes what it does: a question, a condition,
a thing's state, a quote, someone else not knowing, reassurance, or an answer that goes on to
help. Each list of parts is split in two: the `dev` half is what the lexicon was developed
against, the `held` half is kept aside and never looked at while tuning. `--split held` builds
answers from held-out parts only, so it measures how the grammar carries to wording it has
not met.

The answers are put into calls as a recognizer writes them: after a customer's question, cut
into fragments with the customer's 嗯 between, fillers, no punctuation on most, and the core
sometimes written by its sound.

    python -m benchmarks.blunt [--n 4000] [--split dev|held|all] [--seed 5] [--show-errors 10]
"""

from __future__ import annotations

import argparse
import random
import zlib
from dataclasses import dataclass

WHO = ["我", "我们", "我这边", "我们这边", "这边", "我这里", "咱们", "咱们这边", "小李这边", "小王这里", "我们这里", "客服这边",
       "我们公司", "本人", "咱这边", "我个人"]
ADVERBS = ["", "", "也", "都", "真", "确实", "实在", "就", "也是", "真的", "可", "完全", "根本", "的确", "实在是", "也确实",
           "暂时", "目前"]
CORES = {  # kind -> cores
    "know": ["不知道", "不清楚", "不太清楚", "不是很清楚", "不晓得", "不了解", "不太了解", "也说不清", "搞不清楚"],
    "cannot": ["没办法", "没有办法", "处理不了", "解决不了", "帮不了", "办不了", "弄不了", "做不到"],
    "notmine": ["管不了", "不归我们管", "不关我们的事", "跟我们没关系", "管不着", "不归我管", "不是我们负责的"],
    "refuse": ["不行", "不可以"],
}
TOPICS = {"know": ["这个", "这个问题", "具体原因", "这个情况", "他们几点到", "什么时候发货", "这件事", "那个"],
          "cannot": ["这个", "这个事", "退款这个", "您说的这个", "这种情况"],
          "notmine": ["这个", "这个事", "快递的事", "这块", "那边的问题"],
          "refuse": ["周末", "明天", "退货", "这样", "这个", "今天", "加急", "上门", "下午", "换货", "现在", "免费换"]}
PARTICLES = ["", "", "", "啊", "呀", "了", "的", "哦", "哈", "啦", "呢", "嘛"]
EXCUSES = ["那天不是我值班", "不是我负责的", "我刚来的", "我是新来的", "系统查不到", "我这边也看不到", "我们只负责接电话",
           "这不是我们的事", "我没权限", "我也没见过", "那是厂家的事", "当时不是我接的", "我们这边只管登记", "这得问他们"]
DISMISSALS = ["你等着吧", "您只能等", "你自己看着办", "您问商家吧", "你问别人吧", "你自己去问", "您找厂家吧", "你投诉吧",
              "反正就这样", "你自己想办法", "您问平台吧", "你找他们去", "等通知吧", "爱怎么样怎么样", "说了也没用",
              "你找经销商去", "您自己查吧", "你去问售后", "您等着就行了", "没别的办法"]
HELP = ["我帮您查一下", "我帮您问一下技术同事", "我去核实一下再回复您", "稍等我帮您看看", "我给您反馈一下", "我帮您联系一下师傅",
        "我帮您催一下", "我给您申请一下", "我马上帮您转接", "我这边给您提交一下让专人联系您", "麻烦您提供一下订单号我查查",
        "我让技术人员给您回电", "我帮您登记一下跟进", "我去请示一下领导"]
# innocent frames: kind -> templates with {core}; each is what a supervisor would never fault
INNOCENT = {
    "question": ["您是{core}怎么操作吗", "{core}您这边方便吗", "您是{core}具体型号吗", "是不是{core}密码呀",
                 "{core}您还记不记得购买日期", "{core}您什么时候在家", "您之前{core}这个规定吗", "他们是{core}吗"],
    "condition": ["如果{core}的话您再打过来", "要是还{core}您随时联系我们", "万一{core}的话我们再安排", "{core}的话您看一下说明书",
                  "您要是{core}订单号报手机号也可以", "因为我{core}您的地址所以需要您提供一下", "假如{core}您就拨打这个电话"],
    "state": ["空调还是{core}", "开机也{core}吗", "遥控器一直{core}", "信号老是{core}", "重启以后还是{core}吗",
              "电池{core}了的话需要换新的", "网络是不是{core}"],
    "quote": ["您是说师傅{core}是吧", "您刚才说他们那边{core}", "您的意思是快递员{core}对吧", "您反映客服{core}是吗",
              "他说{core}是吧"],
    "other": ["很多用户都{core}这个功能", "他也{core}这个情况我跟他说一下", "您{core}的话可以问我", "客户一般都{core}",
              "孩子可能{core}这个扣费"],
    "reassure": ["{core}也没关系我慢慢跟您说", "{core}的地方随时问我", "{core}没事我一步步教您", "{core}不要紧"],
}
INNOCENT_KIND = {"question": "know", "condition": None, "state": "refuse", "quote": None, "other": "know",
                 "reassure": "know"}
SAME_SOUND = {"知": "智", "道": "到", "清": "青", "楚": "础", "办": "半", "法": "发", "管": "馆", "行": "型", "解": "姐"}
CUSTOMER_ASKS = ["那我这个到底什么时候能修好", "能不能给我退了", "你们什么时候发货", "为什么扣了我的钱", "周末能上门吗",
                 "这个问题怎么办呢", "那我找谁", "快递到底到哪了", "能不能加急处理一下", "我要换一台新的"]
NEUTRAL = ["您的工单已经提交了", "师傅明天上午会上门", "这款机器保修三年", "请问您的地址是哪里", "您还有别的问题吗"]
BACKCHANNELS = ["嗯", "啊", "对", "嗯嗯", "哦"]


def _half(items: list, split: str, name: str) -> list:
    """The dev or held-out half of a list of parts, the same halves every run (by a hash of
    each part, so adding a part does not move the others)."""
    if split == "all":
        return items
    keep = [x for x in items if (zlib.crc32(f"{name}:{x}".encode()) % 2 == 0) == (split == "dev")]
    return keep or items[:1]


@dataclass
class Answer:
    text: str
    blunt: bool
    kind: str  # what it was built as: blunt-nothing, blunt-excuse, innocent-quote ...


def answers(n: int, split: str, rng: random.Random) -> list[Answer]:
    who = _half(WHO, split, "who")
    adverbs = _half(ADVERBS, split, "adverb")
    particles = _half(PARTICLES, split, "particle")
    excuses, dismissals, helps = (_half(x, split, k) for x, k in ((EXCUSES, "excuse"), (DISMISSALS, "dismissal"),
                                                                     (HELP, "help")))
    cores = {k: _half(v, split, "core-" + k) for k, v in CORES.items()}
    topics = {k: _half(v, split, "topic-" + k) for k, v in TOPICS.items()}
    frames = {k: _half(v, split, "frame-" + k) for k, v in INNOCENT.items()}
    out = []
    for _ in range(n):
        kind = rng.choice(list(cores))
        core = rng.choice(cores[kind])
        if rng.random() < 0.55:
            # blunt: [topic] [who] [adverb] core [particle] [follows]
            pre = ""
            if kind == "refuse":
                pre = rng.choice(topics[kind])  # 不行 is said of something: 周末不行, 这样不行
            elif rng.random() < 0.5:
                pre = rng.choice(topics[kind])
            if kind != "refuse" and rng.random() < 0.7:
                pre += rng.choice(who)
            pre += rng.choice(adverbs)
            follow = rng.choice(["nothing", "nothing", "excuse", "dismissal"])
            tail = {"nothing": "", "excuse": rng.choice(excuses), "dismissal": rng.choice(dismissals)}[follow]
            sep = rng.choice(["", "", " "]) if tail else ""
            out.append(Answer(pre + core + rng.choice(particles) + sep + tail, True, f"blunt-{follow}"))
        else:
            frame_kind = rng.choice(list(frames))
            want = INNOCENT_KIND[frame_kind]
            if frame_kind == "help" or rng.random() < 0.25:
                # an answer that goes on to help
                text = rng.choice(who) + rng.choice(adverbs) + core + rng.choice(["", "", "，"]) + rng.choice(helps)
                out.append(Answer(text, False, "innocent-help"))
                continue
            if want is not None and kind != want:
                core = rng.choice(cores[want])
            out.append(Answer(rng.choice(frames[frame_kind]).format(core=core), False, f"innocent-{frame_kind}"))
    return out


def _garble(text: str, rng: random.Random) -> str:
    if rng.random() < 0.15:
        idx = [i for i, c in enumerate(text) if c in SAME_SOUND]
        if idx:
            i = rng.choice(idx)
            return text[:i] + SAME_SOUND[text[i]] + text[i + 1:]
    return text


def call_of(answer: Answer, i: int, rng: random.Random) -> dict:
    """A short call: greeting, the customer's question, the answer as the recognizer wrote it
    (fragments, the customer's 嗯 between, punctuation on a few), then a closing."""
    t = 0
    utts = []

    def say(speaker: str, text: str, dur: int | None = None) -> dict:
        nonlocal t
        dur = dur or max(300, len(text) * 220)
        u = {"speaker": speaker, "text": text, "start_ms": t, "end_ms": t + dur}
        utts.append(u)
        t += dur + rng.randint(150, 700)
        return u

    say("agent", "您好瑞丰电器请问有什么可以帮您")
    say("customer", rng.choice(CUSTOMER_ASKS))
    text = _garble(answer.text, rng)
    if rng.random() < 0.2:
        text += rng.choice(["。", "。", "！"])
    pieces = [text]
    if len(text) > 5 and rng.random() < 0.5:
        cut = rng.randint(2, len(text) - 2)
        pieces = [text[:cut], text[cut:]]
    for k, piece in enumerate(pieces):
        u = say("agent", piece)
        if k < len(pieces) - 1 and rng.random() < 0.6:
            utts.append({"speaker": "customer", "text": rng.choice(BACKCHANNELS), "start_ms": u["end_ms"] - 100,
                         "end_ms": u["end_ms"] + 150})
            t = u["end_ms"] + 250
    say("customer", rng.choice(["那好吧", "行吧", "嗯", "那我知道了"]))
    if rng.random() < 0.5:
        say("agent", rng.choice(NEUTRAL))
    say("agent", "感谢您的来电再见")
    utts.sort(key=lambda u: u["start_ms"])
    return {"call_id": f"bl-{i:05d}", "variables": {"company": ["瑞丰电器", "瑞丰"]}, "utterances": utts}


def main(argv: list[str] | None = None) -> None:
    from collections import Counter

    from app.lexicon.compiler import default_lexicon_dir, load_lexicon
    from app.models import Call
    from app.score.scorer import score_call
    from benchmarks.accuracy import prf

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--split", choices=["dev", "held", "all"], default="held")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--show-errors", type=int, default=0)
    args = ap.parse_args(argv)
    lex = load_lexicon(default_lexicon_dir())
    rng = random.Random(args.seed)
    counts = Counter()
    by_kind: dict[str, Counter] = {}
    errors = []
    for i, a in enumerate(answers(args.n, args.split, rng)):
        result = score_call(Call.model_validate(call_of(a, i, rng)), lex)
        flagged = next(r for r in result.rules if r.rule_id == "forbidden").status == "failed"
        key = "tp" if flagged and a.blunt else "fp" if flagged else "fn" if a.blunt else "tn"
        counts[key] += 1
        by_kind.setdefault(a.kind, Counter())[key in ("tp", "tn")] += 1
        if key in ("fp", "fn") and len(errors) < args.show_errors * 2:
            errors.append(f"  {'FALSE ACCUSATION' if key == 'fp' else 'MISSED'} ({a.kind}): {a.text}")
    p, r, f = prf(counts["tp"], counts["fp"], counts["fn"])
    print(f"blunt answers from parts, split {args.split}, {args.n} answers, seed {args.seed}, lexicon {lex.version}")
    print(f"forbidden: P {p:.3f}  R {r:.3f}  F1 {f:.3f}  (TP {counts['tp']}, FP {counts['fp']}, FN {counts['fn']}, "
          f"TN {counts['tn']})")
    print("agreement by kind: " + ", ".join(f"{k} {c[True] / sum(c.values()):.3f} ({sum(c.values())})"
                                            for k, c in sorted(by_kind.items())))
    print("\n".join(errors))


if __name__ == "__main__":
    main()
