"""A labeled set of calls for the accuracy benchmark, generated from a seed.

Each call is assembled from an opening, a body and a closing, each either compliant or not,
with innocent look-alikes and customer speech mixed in, then passed through ASR noise of every
kind seen in real transcripts: same-sound characters, fillers, inserted words, spaces between
words, no punctuation, traditional characters, full-width forms and turns split into
fragments. The labels say, per call and rule, whether the agent really broke the rule.

The sentences here are written for the benchmark; they overlap the lexicon's own examples only
where the norms themselves fix the wording (the listed 忌语).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

COMPANIES = [
    # (name, aliases the call system knows, what ASR makes of the name)
    ("瑞丰电器", ["瑞丰"], ["锐丰电器", "瑞峰电器", "瑞丰电气", "锐锋电气", "瑞风电器", "瑞丰店器"]),
    ("华美家居", [], ["花美家居", "华美家具", "华美加居", "哗美家居"]),
    ("安信保险", ["安信"], ["安心保险", "安新保险", "安信保鲜"]),
    ("顺达物流", [], ["顺大物流", "舜达物流", "顺达务流"]),
    ("金穗银行", [], ["金岁银行", "金穗营行", "今穗银行"]),
]
NAMES = ["张先生", "王女士", "李女士", "刘先生", "陈女士", "赵先生"]
DIGITS = "零一二三四五六七八九"

GREET_GOOD = [
    "您好，{co}，请讲。",
    "您好，欢迎致电{co}，请问有什么可以帮您？",
    "{co}您好，工号{num}为您服务。",
    "下午好，{co}客服中心，很高兴为您服务。",
    "嗯 您好 这边 是 {co} 客服",
    "工号{num}为您服务，上午好，{co}。",
    "您好，这里是{co}售后服务中心。",
    "晚上好，欢迎来电{co}，请问您需要什么帮助？",
]
GREET_BAD = [
    "您好，请讲。",
    "喂，你好。",
    "您好，请问有什么可以帮您？",
    "{co}，请讲。",
    "喂，{co}。",
    "请问有什么事？",
]
OUTBOUND_GOOD = ["您好，请问是{name}吗？我是{co}的客服。", "您好，请问您是{name}吗？这边是{co}客服中心。"]
OUTBOUND_BAD = ["您好，我是{co}的客服，您的订单明天送到。", "您好，这边是{co}，跟您说一下安装的事。"]
CLOSE_GOOD = [
    "感谢您的来电，再见。",
    "祝您生活愉快，再见！",
    "好的，再见。",
    "那先这样，再见啦。",
    "不客气，再见。",
    "好的，感谢您的耐心，再见。",
]
CLOSE_BAD = ["好的，就这样。", "嗯，好的。", "行，挂了啊。", "那先这样吧。", "好的，还有别的事吗？没有就先这样。"]

AGENT_NEUTRAL = [
    "好的，请问您的机器是什么型号？",
    "麻烦您提供一下订单号。",
    "我这边给您登记一下。",
    "师傅明天上午会上门。",
    "您的机器还在保修期内。",
    "好的，我明白您的意思了。",
    "请您把机身背面的条码读一下。",
    "这个费用是免费的，您放心。",
    "我给您安排最近的网点。",
    "请问您的地址是哪里？",
]
# Innocent sentences that look like violations: a matcher that fires on these accuses an agent.
AGENT_LOOKALIKE = [
    "不知道您这边方便吗？",
    "因为我不知道您之前联系的是哪位，所以麻烦您再说一下。",
    "您先试一下，如果不行的话再打给我们。",
    "重启以后还是不行吗？",
    "这样处理行不行呀？",
    "车辆不行驶的时候不会扣费。",
    "其他平台的情况我这边看不到。",
    "不管什么问题我们都会处理。",
    "您可以步行过去，大概五分钟。",
    "我不太清楚具体的型号，我帮您查一下。",
    "对不起，我听不清楚，您能再说一遍吗？",
    "我帮您联系售后部门，让他们尽快给您回电。",
    "我会让工程师尽快与您联系。",
    "您的产品没有问题，可以放心使用。",
    "我们不管您是什么时候买的，都可以保修。",
    "这个不行的话我们换一个方案。",
    "您不用自己联系厂家，我们来处理。",
    "您不知道密码的话可以重置。",
    "如果您还是不清楚，可以随时联系我们。",
    "您看这样行不行？",
    "不行的话您再打过来。",
    "规定上是这样写的，我给您详细解释一下。",
    "改天师傅上门之前我会提前通知您。",
    "您要是不知道订单号，报手机号也可以。",
    "请问您找哪个部门？",
    "以后有问题随时联系我们。",
    "他不知道这个情况，我跟他说一下。",
    "您知不知道机器的型号？",
    "这个不清楚的话您看一下机身背面的标签。",
    "很抱歉，我没有说清楚，我再解释一下。",
    "我妈的手机号也是这个。",
    "页面可以滚动查看。",
    "神经病医院的电话我帮您查一下。",
    "您要是觉得不行，我们可以给您换货。",
    "电池不行了的话需要换新的。",
]
# Violations of `forbidden`, as agents say them.
AGENT_FORBIDDEN = [
    "我不知道。",
    "这个我也不知道。",
    "我真的不知道。",
    "不知道。",
    "不知道啊，你问别人吧。",
    "这个我也不清楚。",
    "嗯……我不太清楚。",
    "我也不知道怎么处理。",
    "我不知道怎么办。",
    "你连这个都不知道？",
    "你这都不知道吗？",
    "不行，这个不能退。",
    "不行不行。",
    "那可不行。",
    "这个不行。",
    "这事我们不管。",
    "这事儿我们可不管。",
    "这个不归我们管。",
    "这不归我管。",
    "你的产品没有问题，自己再试试看吧。",
    "你要知道，一分钱一分货。",
    "绝对不可能有这种事情发生。",
    "我绝对没有说过这种话。",
    "公司的规定就是这样。",
    "规定就这样，没办法。",
    "改天通知你。",
    "这不就是个小问题吗？",
    "这个您自己联系一下厂家吧。",
    "你自己打售后电话问问。",
    "你去找售后部门问吧。",
    "这个你得去问别的部门。",
    "你自己去找厂家吧。",
]
AGENT_PROFANITY = ["你是不是傻逼啊。", "妈的！", "你他妈能不能听我说完？", "滚！", "你神经病啊。", "王八蛋。", "你有病吧。"]
AGENT_RUDE_NEUTRAL = ["你说吧。", "什么型号？", "地址。", "知道了。", "明天有人上门。", "嗯。"]
CUSTOMER = [
    "我家空调不制冷了。",
    "我上周报修的洗衣机到现在还没人来。",
    "型号是KFR-35GW。",
    "地址是东城区幸福路八号。",
    "好的。",
    "嗯，明白了。",
    "那你们什么时候能来？",
    "行吧。",
    "我不知道啊，你们自己查。",
    "不行，我要退货。",
    "这事你们管不管？",
    "你们这帮傻逼！",
    "我也不清楚是哪个型号。",
    "好的，再见。",
    "妈的，又坏了。",
    "谢谢你，再见。",
]

# Same-sound substitutions real recognizers make (tones ignored).
HOMOPHONES = {
    "再": "在", "见": "建", "知": "智", "道": "到", "事": "是", "管": "馆", "清": "青",
    "楚": "础", "联": "连", "系": "细", "部": "步", "门": "们", "您": "宁", "好": "号",
    "谢": "泻", "规": "归", "定": "订", "改": "该", "天": "添", "通": "同", "问": "闻",
}
POLITE_FORMS = ["请", "您", "谢谢", "感谢", "对不起", "抱歉", "不好意思", "麻烦"]
FILLERS = ["呃，", "嗯，", "啊，", "呃 ", "那个，"]
INSERTS = {"我不知道": ["我也不知道", "我真不知道", "我就不知道"], "这事我们不管": ["这事我们真不管", "这事我们都不管"]}


@dataclass
class LabeledCall:
    call: dict
    labels: dict[str, bool]  # rule id -> the agent broke it
    noise: list[str] = field(default_factory=list)


def _num(rng: random.Random) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(4))


_S2T = None


def _to_traditional(text: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return _S2T.convert(text)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


PUNCT = "，。！？、…,.!?"


def _make_tokenizer():
    import jieba

    tok = jieba.Tokenizer()
    for w in ("傻逼", "王八蛋", "神经病", "不清楚", "再见", "您好"):
        tok.add_word(w, freq=100000)
    return tok


class _LazyTok:
    def __getattr__(self, name):
        global _TOK
        _TOK = _make_tokenizer()
        return getattr(_TOK, name)


_TOK = _LazyTok()


def noisy(text: str, rng: random.Random, kinds: list[str], rate: float = 0.35) -> str:
    """One agent line as a recognizer might write it."""
    import jieba

    # Fillers go between words of the clean line (a recognizer does not put 呃 inside 傻逼);
    # same-sound errors come after, as they do in a real recognizer's output.
    if rng.random() < rate * 0.6:
        words = _TOK.lcut(text)
        if len(words) > 2:
            i = rng.randrange(1, len(words))
            words.insert(i, rng.choice(FILLERS))
            text = "".join(words)
            kinds.append("filler")
    if rng.random() < rate and any(c in HOMOPHONES for c in text):
        idx = [i for i, c in enumerate(text) if c in HOMOPHONES]
        i = rng.choice(idx)
        text = text[:i] + HOMOPHONES[text[i]] + text[i + 1:]
        kinds.append("homophone")
    r = rng.random()
    if r < 0.15:
        text = " ".join(w for w in jieba.lcut(text) if w.strip() and w not in PUNCT)
        kinds.append("spaces")
    elif r < 0.3:
        text = "".join(c for c in text if c not in PUNCT)
        kinds.append("unpunctuated")
    if rng.random() < 0.1:
        text = _to_traditional(text)
        kinds.append("traditional")
    if rng.random() < 0.05:
        text = _fullwidth(text)
        kinds.append("fullwidth")
    return text


def _fragments(text: str, rng: random.Random, kinds: list[str]) -> list[str]:
    if len(text) >= 6 and rng.random() < 0.2:
        cut = rng.randrange(2, len(text) - 2)
        kinds.append("fragments")
        return [text[:cut], text[cut:]]
    return [text]


def make_call(i: int, rng: random.Random, body: tuple[int, int] = (2, 6)) -> LabeledCall:
    name, aliases, garbled = rng.choice(COMPANIES)
    rude = rng.random() < 0.05
    outbound = not rude and rng.random() < 0.2
    labels = {"greeting": False, "closing": False, "forbidden": False, "profanity": False,
              "polite": False, "outbound_confirm": False}
    kinds: list[str] = []
    turns: list[tuple[str, str]] = []
    heard = rng.choice(garbled) if rng.random() < 0.35 else name
    if heard != name:
        kinds.append("company-garbled")

    if rude:
        labels["polite"] = True
        labels["greeting"] = True
        turns.append(("agent", f"喂，{heard}。"))
        turns.append(("customer", rng.choice(CUSTOMER[:3])))
    elif outbound:
        turns.append(("customer", "喂？"))
        if rng.random() < 0.25:
            labels["outbound_confirm"] = True
            turns.append(("agent", rng.choice(OUTBOUND_BAD).format(co=heard, name=rng.choice(NAMES))))
        else:
            turns.append(("agent", rng.choice(OUTBOUND_GOOD).format(co=heard, name=rng.choice(NAMES))))
        turns.append(("customer", "是我，什么事？"))
    else:
        if rng.random() < 0.2:
            labels["greeting"] = True
            turns.append(("agent", rng.choice(GREET_BAD).format(co=heard, num=_num(rng))))
        else:
            turns.append(("agent", rng.choice(GREET_GOOD).format(co=heard, num=_num(rng))))
        turns.append(("customer", rng.choice(CUSTOMER[:3])))

    for _ in range(rng.randint(*body)):
        r = rng.random()
        if rude:
            line = rng.choice(AGENT_RUDE_NEUTRAL)
        elif r < 0.18:
            line = rng.choice(AGENT_FORBIDDEN)
            for base, variants in INSERTS.items():
                if line.startswith(base) and rng.random() < 0.5:
                    line = rng.choice(variants) + line[len(base):]
                    kinds.append("inserted")
            labels["forbidden"] = True
        elif r < 0.21:
            line = rng.choice(AGENT_PROFANITY)
            labels["profanity"] = True
        elif r < 0.55:
            line = rng.choice(AGENT_LOOKALIKE)
            kinds.append("lookalike")
        else:
            line = rng.choice(AGENT_NEUTRAL)
        turns.append(("agent", line))
        turns.append(("customer", rng.choice(CUSTOMER)))

    if rude:
        turns.append(("agent", "行，再见。"))
    elif rng.random() < 0.2:
        labels["closing"] = True
        turns.append(("agent", rng.choice(CLOSE_BAD)))
        if rng.random() < 0.5:
            turns.append(("customer", "好的，再见。"))
    else:
        turns.append(("agent", rng.choice(CLOSE_GOOD)))
        if rng.random() < 0.5:
            turns.append(("customer", "拜拜。"))

    clean_agent = "".join(text for speaker, text in turns if speaker == "agent")
    labels["polite"] = not any(w in clean_agent for w in POLITE_FORMS)
    utterances = []
    t = 0
    for speaker, text in turns:
        if speaker == "agent":
            text = noisy(text, rng, kinds)
            pieces = _fragments(text, rng, kinds)
        else:
            pieces = [text]
        for piece in pieces:
            dur = 150 * max(len(piece), 4)
            utterances.append({"speaker": speaker, "text": piece, "start_ms": t, "end_ms": t + dur})
            t += dur + rng.randint(200, 1500)
    variables = {"company": {"name": name, "aliases": aliases}} if aliases else {"company": name}
    call = {"call_id": f"acc-{i:05d}", "agent_id": f"a-{i % 17:02d}", "variables": variables,
            "direction": "outbound" if outbound else "inbound", "utterances": utterances}
    return LabeledCall(call, labels, sorted(set(kinds)))


def labeled_calls(n: int = 3000, seed: int = 20261121) -> list[LabeledCall]:
    rng = random.Random(seed)
    return [make_call(i, rng) for i in range(n)]
