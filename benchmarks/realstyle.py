"""Real-style calls for the accuracy benchmark: what a speech recognizer makes of a phone call.

The clean set (`benchmarks/dataset.py`) puts ASR noise on tidy, punctuated turns. Real calls
look different, and this generator imitates them:

- most calls have no punctuation at all, some have spaces between words;
- an agent's sentences are cut into 2 to 6 fragments at arbitrary places, across sentence
  ends too;
- the customer's backchannels (嗯, 对, 是, 喂, 你好 ...) and noise fragments (A, 的) land
  between the agent's fragments, often overlapping them in time; the agent does the same
  inside the customer's turns;
- fillers everywhere, same-sound characters, the company's brand heard as near-sounding
  words, its category word dropped or changed, followed by 厂家 / 官方 / 客服中心;
- half the calls are outbound, whose openings name the company late ("喂" / "哎你好请问是张先生
  对吗" / "对" / "这边是瑞丰厂家的");
- a satisfaction survey played on the agent's channel at the end (a recorded prompt, not the
  agent's speech), phrases cut across fragments with a backchannel between the pieces, the
  agent quoting the customer, brush-offs, and the innocent look-alikes of every forbidden
  phrase, unpunctuated.

Labels are what a QA supervisor listening to the call would decide: each sentence is chosen
for what the agent means (a greeting with the company named, a blunt refusal, an innocent
question ...), and the noise applied afterwards only changes how it is written, never what
was said. Sentences whose meaning would change with the punctuation removed are not used.
Each call carries tags naming the phenomena in it, for the per-phenomenon figures.

    from benchmarks.realstyle import realstyle_calls
    for item in realstyle_calls(2000, seed=7): item.call, item.labels, item.tags
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

RULES = ("greeting", "closing", "forbidden")


@dataclass(frozen=True)
class Company:
    name: str  # as configured
    brand: str
    category: str
    aliases: tuple[str, ...] = ()
    other_categories: tuple[str, ...] = ()


COMPANIES = [
    Company("瑞丰电器", "瑞丰", "电器", ("瑞丰",), ("电气", "家电", "空调")),
    Company("华美家居", "华美", "家居", (), ("家具", "家私")),
    Company("安信保险", "安信", "保险", ("安信",), ("财险", "人寿")),
    Company("顺达物流", "顺达", "物流", (), ("快递", "速运")),
    Company("金穗银行", "金穗", "银行", (), ("信用卡",)),
    Company("晶鑫净水", "晶鑫", "净水", ("晶鑫",), ("净水器", "水处理")),
    Company("千禧物业", "千禧", "物业", (), ("物业管理", "家政")),
    Company("尚品家电", "尚品", "家电", (), ("电器", "厨电")),
]
# Other companies' names: an agent who names one of these did not name their own.
OTHER_BRANDS = ["格力", "美的", "海尔", "奥克斯", "长虹", "苏宁", "国美", "平安", "顺丰", "京东", "海信", "志高",
                "万科", "招商", "光大", "九阳"]
SUFFIXES = ["厂家", "厂方", "官方", "客服中心", "售后", "客服"]
# Near-sound pairs a recognizer confuses in brand names (initials and finals).
BRAND_PAIRS = ("z/zh", "c/ch", "s/sh", "j/z", "q/c", "x/s", "in/ing", "an/ang", "en/eng")

NAMES = ["张先生", "王女士", "李女士", "刘先生", "陈女士", "赵先生", "梁先生", "周女士"]
DIGITS = "零一二三四五六七八九"
GREET_WORDS = ["您好", "您好", "你好", "您好您好", "喂您好", "上午好", "下午好", "晚上好"]

# -- the agent's sentences ---------------------------------------------------------------------

AGENT_NEUTRAL = [
    "好的请问您的机器是什么型号",
    "麻烦您提供一下订单号",
    "我这边给您登记一下",
    "师傅明天上午会上门",
    "您的机器还在保修期内",
    "好的我明白您的意思了",
    "请您把机身背面的条码读一下",
    "这个费用是免费的您放心",
    "我给您安排最近的网点",
    "请问您的地址是哪里",
    "您的工单已经提交成功了工单号稍后通过短信发给您",
    "根据您描述的情况可能是滤网比较脏了建议您先清洗一下",
    "师傅会在上门前半小时给您打电话请您保持电话畅通",
    "这款机器整机保修三年压缩机保修十年",
    "上门检测是免费的如果需要更换配件师傅会先跟您确认费用",
    "麻烦您再核对一下地址是幸福路八号三单元五零二对吧",
    "好的已经帮您备注了周末上午优先安排",
    "您说的情况我已经详细记录下来了",
    "系统显示您上个月也报修过一次当时是更换了主板对吗",
    "您先把电源拔掉等五分钟再插上看看能不能正常启动",
    "请问您是什么时候购买的",
    "您的快递预计后天送达",
    "这笔费用会在三个工作日内退回到您的账户",
    "您的保单目前是有效状态",
    "明天下午两点到四点之间师傅上门可以吗",
    "好的那我给您改成周六上午",
]
# Innocent sentences that contain a forbidden word: (tag, sentence). A matcher that flags one
# of these accuses an agent of something they did not do.
AGENT_INNOCENT = [
    ("polite-question", "不知道您这边方便吗"),
    ("polite-question", "不知道您现在方便接听电话吗"),
    ("polite-question", "不知道您什么时候在家"),
    ("polite-question", "不知道您还记不记得购买日期"),
    ("polite-question", "不清楚您那边具体是什么情况能跟我描述一下吗"),
    ("explanation", "因为我不知道您的具体地址所以需要您提供一下"),
    ("explanation", "因为我不知道您之前联系的是哪位所以麻烦您再说一下"),
    ("explanation", "我不知道您之前联系的是哪位麻烦您说一下工号"),
    ("condition", "不行的话我们再安排"),
    ("condition", "您先试一下如果不行的话再打给我们"),
    ("condition", "要是还不行您随时联系我们"),
    ("condition", "不清楚的话您看一下机身背面的标签"),
    ("condition", "您不知道订单号的话报手机号也可以"),
    ("condition", "实在不行我们给您换一台新的"),
    ("condition", "如果没办法开机的话您先拔一下电源"),
    ("device", "空调还是不行"),
    ("device", "重启以后还是不行吗"),
    ("device", "那个遥控器现在还是不行是吧"),
    ("device", "电池不行了的话需要换新的"),
    ("question", "那个行不行"),
    ("question", "您看这样行不行"),
    ("question", "还是不行吗"),
    ("question", "明天上午行不行"),
    ("question", "您知不知道机器的型号"),
    ("quoting", "您是说空调不行了是吧"),
    ("quoting", "您的意思是师傅说这个不归他们管是吗"),
    ("quoting", "您是说他们让您自己去找厂家对吧"),
    ("quoting", "您刚才说他们那边说不知道是吧"),
    ("customer-action", "是您自己去找的吗"),
    ("customer-action", "您是自己联系的师傅吗"),
    ("customer-action", "您之前是自己去问的售后吗"),
    ("help-after", "我不太清楚这个型号我帮您查一下"),
    ("help-after", "这个我也不清楚我帮您问一下技术同事"),
    ("help-after", "一直没办法联系上师傅我再帮您催一下"),
    ("help-after", "我不知道他们具体几点到我帮您打电话确认一下"),
    ("help-after", "这个情况我不太清楚您稍等我帮您核实一下"),
    ("we-contact", "我帮您联系售后部门让他们尽快给您回电"),
    ("we-contact", "我会让工程师尽快与您联系"),
    ("we-contact", "您不用自己联系厂家我们来处理"),
    ("we-contact", "以后有问题随时联系我们"),
    ("system", "其他平台的情况我这边看不到"),
    ("words", "您可以步行过去大概五分钟"),
    ("words", "车辆不行驶的时候不会扣费"),
    ("words", "不管什么问题我们都会处理"),
    ("words", "我们不管您是什么时候买的都可以保修"),
    ("other-person", "他不知道这个情况我跟他说一下"),
    ("other-person", "您不知道密码的话可以重置"),
    ("rules-explained", "按照公司规定保修期内是免费的"),
    ("rules-explained", "规定上是这样写的我给您详细解释一下"),
    ("no-way-help", "现在暂时没办法上门我帮您约明天上午"),
]
# Violations of `forbidden`: (tag, sentence). Each ends the agent's turn, or is followed only
# by talk that does not help (see _agent_turn).
AGENT_BLUNT = [
    ("seed", "不行"),
    ("seed", "我不知道"),
    ("seed", "你这都不知道"),
    ("seed", "你的产品没有问题自己再试试看吧"),
    ("seed", "这事我们不管"),
    ("seed", "你要知道一分钱一分货"),
    ("seed", "绝对不可能有这种事情发生"),
    ("seed", "嗯我不太清楚"),
    ("seed", "我绝对没有说过这种话"),
    ("seed", "我不知道怎么处理"),
    ("seed", "公司的规定就是这样"),
    ("seed", "改天通知你"),
    ("seed", "不就是个小问题吗"),
    ("turn-final", "那这个我也不清楚啊"),
    ("turn-final", "这个我真不知道"),
    ("turn-final", "不知道"),
    ("turn-final", "我也不清楚"),
    ("refusal", "这个不行的"),
    ("refusal", "不行这个不能退"),
    ("refusal", "那不行"),
    ("refusal", "这个肯定不行"),
    ("filler-inside", "我呃不知道"),
    ("filler-inside", "这个嗯我也不清楚"),
    ("brushoff", "没办法"),
    ("brushoff", "这个不归我们管"),
    ("brushoff", "你自己去问经销商"),
    ("brushoff", "你去找售后部门问吧"),
    ("brushoff", "这个你得去问别的部门"),
    ("brushoff", "这事儿我们可不管"),
    ("brushoff", "你自己去找厂家吧"),
    ("mid-turn", "我也不知道你问问别人吧"),
    ("mid-turn", "不知道啊你自己去问经销商吧"),
]
# What may come before a blunt sentence in the same turn, and after a refusal or brush-off,
# without making it helpful. (Never a question after 不知道 / 不清楚: "我不知道您还有别的问题吗"
# unpunctuated reads as an embedded question, and its meaning would hang on the punctuation.)
BEFORE_BLUNT = ["您这个已经过了保修期了", "这个情况我们这边也查不到", "您说的这个我们这边没有记录"]
AFTER_BLUNT = ["您还有别的问题吗", "反正我们这边是处理不了"]

CLOSE_GOOD = [
    "感谢您的来电再见",
    "祝您生活愉快再见",
    "好的那就先这样再见",
    "不客气再见",
    "好的感谢您的耐心等待再见",
    "好的还有其他问题随时联系我们再见",
    "那我这边先挂了再见",
]
CLOSE_BAD = ["好的就这样", "嗯好的", "行挂了啊", "那先这样吧", "好的还有别的事吗没有就先这样", "好的那您等通知吧"]
SURVEY = ["请您对我的服务进行评价满意请按一不满意请按二", "感谢您的来电再见"]

CUSTOMER_LINES = [
    "我家空调不制冷了开了一个多小时还是热的",
    "我上周报修的洗衣机到现在还没人来",
    "型号是KFR三五GW",
    "地址是东城区幸福路八号",
    "那你们什么时候能来",
    "周末上午可以吗我平时要上班",
    "费用大概多少钱",
    "上次修完没多久又坏了你们这个质量也太差了吧",
    "我的快递三天了还没到",
    "我想问一下我的理赔进度",
    "我不知道啊你们自己查",
    "不行我要退货",
    "这事你们管不管",
    "没办法我只能投诉了",
    "我也不清楚是哪个型号",
    "你们那个师傅说这个不归他们管",
    "我自己去找过了他们说不知道",
    "行吧那就这样",
]
CUSTOMER_BACKCHANNELS = ["嗯", "嗯", "啊", "对", "是", "喂", "你好", "哎", "好", "嗯嗯", "对对", "哦", "是的"]
CUSTOMER_NOISE = ["A", "的", "那", "喂喂", "啊啊"]
AGENT_BACKCHANNELS = ["嗯", "对", "好的", "嗯嗯", "是"]
FILLERS = ["嗯", "啊", "呃", "那个"]

# Same-sound characters a recognizer writes (never inside the brand, which is garbled apart).
HOMOPHONES = {"再": "在", "见": "建", "知": "智", "道": "到", "事": "是", "清": "青", "楚": "础", "联": "连",
              "系": "细", "您": "宁", "谢": "泻", "改": "该", "通": "同", "问": "闻", "候": "后"}


@dataclass
class RealCall:
    call: dict
    labels: dict[str, bool]  # rule id -> the agent broke it
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- brand forms -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _sound_alikes() -> dict[str, tuple[list[str], list[str]]]:
    """Brand character -> (characters of the same sound, characters of a near sound under
    BRAND_PAIRS), common ones first: a recognizer writes characters it knows."""
    from app.text.normalize import normalize
    from app.text.pinyin import _pinyin_dict, _toneless, expand_pairs, fold_syllable
    from app.text.tokenizer import Segmenter

    seg = Segmenter()
    pairs = expand_pairs(BRAND_PAIRS)
    syllable: dict[str, str] = {}
    common: list[tuple[int, str]] = []
    for code, readings in _pinyin_dict().items():
        ch = chr(code)
        syllable[ch] = _toneless(readings.split(",")[0])
        freq = seg.freq(ch)
        if freq >= 1000 and normalize(ch) == ch:  # common, simplified characters only
            common.append((freq, ch))
    common.sort(reverse=True)
    out = {}
    for company in COMPANIES:
        for ch in company.brand:
            own = syllable.get(ch, "")
            same = [c for _, c in common if c != ch and syllable[c] == own][:6]
            near = [c for _, c in common if syllable[c] != own
                    and fold_syllable(syllable[c], pairs) == fold_syllable(own, pairs)][:6]
            out[ch] = (same, near)
    return out


def _garble(brand: str, rng: random.Random) -> tuple[str, str]:
    """The brand with one or more characters replaced by same- or near-sounding ones, and
    which kind of slip that was ("same" or "near")."""
    alikes = _sound_alikes()
    chars = list(brand)
    kind = "same"
    for i in rng.sample(range(len(chars)), k=rng.randint(1, len(chars))):
        same, near = alikes.get(chars[i], ([], []))
        if near and (rng.random() < 0.4 or not same):
            chars[i] = rng.choice(near)
            kind = "near"
        elif same:
            chars[i] = rng.choice(same)
    return "".join(chars), kind


def company_form(co: Company, rng: random.Random, tags: list[str], role_word: bool) -> str:
    """How the agent's naming of the company comes out of the recognizer."""
    brand = co.brand
    if rng.random() < 0.45:
        garbled, kind = _garble(brand, rng)
        if garbled != brand:
            brand = garbled
            tags.append("brand-near-sound" if kind == "near" else "brand-same-sound")
    r = rng.random()
    if r < 0.45:
        form = brand + co.category
    elif r < 0.65:
        form = brand
        tags.append("brand-no-category")
    else:
        form = brand + rng.choice(co.other_categories)
        tags.append("brand-category-changed")
    if not role_word and rng.random() < 0.35:
        form += rng.choice(SUFFIXES)
        tags.append("brand-suffix")
    return form


def wrong_company(co: Company, rng: random.Random) -> str:
    return rng.choice(OTHER_BRANDS) + rng.choice([co.category, *co.other_categories])


# -- openings ----------------------------------------------------------------------------------

INBOUND_GOOD = [
    ("{g}{co}请讲", False),
    ("{g}欢迎致电{co}请问有什么可以帮您", False),
    ("{g}这边是{co}请问有什么可以帮您", False),
    ("{g}{co}客服很高兴为您服务", True),
    ("工号{num}为您服务{g}{co}", False),
    ("{g}这里是{co}售后服务中心请问您需要什么帮助", True),
    ("{co}{g}请问有什么可以帮您", False),
    ("{g}{co}我是客服小王请问有什么可以帮您", False),
    ("{g}您好这边{co}的请问有什么可以帮您", False),
]
INBOUND_NO_COMPANY = ["{g}请问有什么可以帮您", "{g}请讲", "{g}客服中心请讲", "{g}工号{num}为您服务", "喂你好请讲"]
INBOUND_NO_GREETING = ["{co}请讲", "喂{co}", "{co}客服请问有什么事", "这边是{co}有什么事"]
OUTBOUND_ASK = ["哎{g}请问是{name}对吗", "{g}请问是{name}吗", "{g}请问您是{name}吗", "{g}是{name}吧"]
OUTBOUND_NAME = ["这边是{co}的跟您确认一下安装的时间", "我是{co}的客服跟您回访一下维修的情况",
                 "这边是{co}跟您说一下您的订单", "我这边是{co}售后的您之前报修的空调明天上门"]
OUTBOUND_NO_NAME = ["跟您确认一下安装的时间", "跟您说一下您的订单明天送到", "您之前报修的空调明天上门"]
CUSTOMER_PICKUP = ["喂", "喂你好", "喂哪位", "喂你好哪位啊"]
CUSTOMER_CONFIRM = ["对", "是我", "对对是我", "是我你哪位", "对是我什么事"]


class _Builder:
    """Lays out a call: agent and customer turns, cut into fragments, with crosstalk and times."""

    def __init__(self, rng: random.Random, tags: list[str]):
        self.rng = rng
        self.tags = tags
        self.utts: list[dict] = []
        self.t = 0  # ms
        self.punct = "none"

    def _render(self, sentence: str, keep: tuple[str, ...] = (), clean: bool = False) -> str:
        """One sentence as written: fillers between words, same-sound characters, punctuation or
        spaces. Nothing is inserted or changed inside `keep` (the company's name, a phrase that
        is cut elsewhere); a recorded prompt (`clean`) has no fillers or slips."""
        rng = self.rng
        text = sentence
        protected = set()
        for k in keep:
            at = text.find(k)
            if at >= 0:
                protected.update(range(at, at + len(k) + 1))
        if not clean and rng.random() < 0.25 and len(text) > 4:
            bounds, pos = [], 0
            for w in _words(text)[:-1]:
                pos += len(w)
                if pos not in protected:
                    bounds.append(pos)
            if bounds:
                i = rng.choice(bounds)
                text = text[:i] + rng.choice(FILLERS) + text[i:]
                self.tags.append("fillers")
                protected = {p + (len(text) - len(sentence)) if p > i else p for p in protected}
        if not clean and rng.random() < 0.12:
            idx = [i for i, c in enumerate(text) if c in HOMOPHONES and i not in protected]
            if idx:
                i = rng.choice(idx)
                text = text[:i] + HOMOPHONES[text[i]] + text[i + 1:]
                self.tags.append("homophone")
        if self.punct == "punctuated":
            text += rng.choice("。。，？" if text.endswith(("吗", "呢", "吧")) else "。。，")
        elif self.punct == "spaces":
            text = " ".join(_words(text)) + " "
        return text

    def _cut(self, text: str, n: int) -> list[str]:
        if n <= 1 or len(text) < 2 * n:
            return [text]
        cuts = sorted(self.rng.sample(range(1, len(text)), n - 1))
        return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if text[a:b].strip()]

    def say(self, speaker: str, text: str, start: int | None = None, dur: int | None = None) -> dict:
        start = self.t if start is None else start
        dur = dur if dur is not None else max(300, int(len(text) * self.rng.uniform(190, 260)))
        u = {"speaker": speaker, "text": text, "start_ms": start, "end_ms": start + dur}
        self.utts.append(u)
        return u

    def agent_turn(self, sentences: list[str], crosstalk: float = 0.5, prompt: bool = False,
                   keep: tuple[str, ...] = ()) -> None:
        """The agent speaks `sentences`, pausing between them; the recognizer cuts each into
        fragments anywhere, and the customer's backchannels fall between and over them."""
        for si, sentence in enumerate(sentences):
            self.sentence(self._render(sentence, keep, clean=prompt), si == len(sentences) - 1,
                          0.0 if prompt else crosstalk)
        self.t += self.rng.randint(200, 800)

    def sentence(self, text: str, last_in_turn: bool, crosstalk: float = 0.5) -> None:
        """One rendered sentence of the agent, cut into fragments; a pause follows it unless it
        ends the turn."""
        rng = self.rng
        n = rng.choice([1, 2, 2, 3, 3, 4, 5, 6]) if len(text) >= 6 else 1
        pieces = self._cut(text, n)
        if len(pieces) > 1:
            self.tags.append("fragments")
        for k, piece in enumerate(pieces):
            u = self.say("agent", piece)
            end = k == len(pieces) - 1
            gap = rng.randint(500, 1500) if end and not last_in_turn else rng.randint(30, 400)
            if not (end and last_in_turn) and rng.random() < crosstalk:
                self.backchannel(u, gap)
            self.t = u["end_ms"] + gap

    def backchannel(self, u: dict, gap: int, words: list[str] | None = None) -> None:
        """A backchannel or noise of the customer after the agent's fragment `u`: over its
        second half or in the pause after it."""
        rng = self.rng
        if words is None:
            words = CUSTOMER_NOISE if rng.random() < 0.15 else CUSTOMER_BACKCHANNELS
        b_start = rng.randint(u["start_ms"] + (u["end_ms"] - u["start_ms"]) // 2, u["end_ms"] + gap)
        b = self.say("customer", rng.choice(words), start=b_start, dur=rng.randint(250, 600))
        self.tags.append("crosstalk")
        if b["start_ms"] < u["end_ms"] or b["end_ms"] > u["end_ms"] + gap:
            self.tags.append("overlap")

    def customer_turn(self, text: str) -> None:
        rng = self.rng
        pieces = self._cut(text, rng.choice([1, 1, 2]))
        for k, piece in enumerate(pieces):
            u = self.say("customer", piece)
            gap = rng.randint(30, 400)
            if k < len(pieces) - 1 and rng.random() < 0.4:
                self.say("agent", rng.choice(AGENT_BACKCHANNELS), start=u["end_ms"] - rng.randint(0, 300),
                         dur=rng.randint(250, 500))
                self.tags.append("crosstalk")
            self.t = u["end_ms"] + gap
        self.t += rng.randint(200, 1000)

    def pause(self, ms: int) -> None:
        self.t += ms

    def utterances(self) -> list[dict]:
        return sorted(self.utts, key=lambda u: (u["start_ms"], u["end_ms"]))


_SEG = None


def _words(text: str) -> list[str]:
    global _SEG
    if _SEG is None:
        from app.text.tokenizer import Segmenter

        _SEG = Segmenter()
    return [w for w in _SEG.cut(text) if w.strip()]


def make_call(i: int, rng: random.Random) -> RealCall:
    co = rng.choice(COMPANIES)
    tags: list[str] = []
    notes: list[str] = []
    labels = {r: False for r in RULES}
    b = _Builder(rng, tags)
    r = rng.random()
    b.punct = "none" if r < 0.7 else "spaces" if r < 0.8 else "punctuated"
    tags.append({"none": "unpunctuated", "spaces": "spaces", "punctuated": "punctuated"}[b.punct])
    outbound = rng.random() < 0.5
    g = rng.choice(GREET_WORDS)
    num = "".join(rng.choice(DIGITS) for _ in range(4))
    name = rng.choice(NAMES)
    late_mention = False

    # -- opening
    kind = rng.random()
    if outbound:
        tags.append("outbound")
        pickup = b.say("customer", rng.choice(CUSTOMER_PICKUP))
        b.t = pickup["end_ms"] + rng.randint(200, 800)
        if kind < 0.12:
            labels["greeting"] = True
            notes.append("greeting: the company is never named")
            b.agent_turn([rng.choice(OUTBOUND_ASK).format(g=g, name=name)])
            b.customer_turn(rng.choice(CUSTOMER_CONFIRM))
            b.agent_turn([rng.choice(OUTBOUND_NO_NAME)])
        elif kind < 0.2:
            labels["greeting"] = True
            notes.append("greeting: another company is named")
            other = wrong_company(co, rng)
            b.agent_turn([rng.choice(OUTBOUND_ASK).format(g=g, name=name)])
            b.customer_turn(rng.choice(CUSTOMER_CONFIRM))
            b.agent_turn([rng.choice(OUTBOUND_NAME).format(co=other)], keep=(other,))
            tags.append("wrong-company")
        else:
            if rng.random() < 0.5:
                b.agent_turn(["喂"])
                b.customer_turn(rng.choice(CUSTOMER_PICKUP))
                tags.append("late-company")
            b.agent_turn([rng.choice(OUTBOUND_ASK).format(g=g, name=name)])
            b.customer_turn(rng.choice(CUSTOMER_CONFIRM))
            form = company_form(co, rng, tags, role_word=False)
            b.agent_turn([rng.choice(OUTBOUND_NAME).format(co=form)], keep=(form,))
    else:
        if kind < 0.06:
            labels["greeting"] = True
            notes.append("greeting: the company is never named")
            b.agent_turn([rng.choice(INBOUND_NO_COMPANY).format(g=g, num=num)])
        elif kind < 0.1:
            labels["greeting"] = True
            notes.append("greeting: the company is named only well into the call")
            b.agent_turn([rng.choice(INBOUND_NO_COMPANY).format(g=g, num=num)])
            late_mention = True
            tags.append("company-named-late")
        elif kind < 0.15:
            labels["greeting"] = True
            notes.append("greeting: another company is named")
            other = wrong_company(co, rng)
            b.agent_turn([rng.choice(INBOUND_GOOD)[0].format(g=g, num=num, co=other)], keep=(other,))
            tags.append("wrong-company")
        elif kind < 0.2:
            labels["greeting"] = True
            notes.append("greeting: no greeting word")
            form = company_form(co, rng, tags, role_word=True)
            b.agent_turn([rng.choice(INBOUND_NO_GREETING).format(co=form)], keep=(form,))
        else:
            template, role = rng.choice(INBOUND_GOOD)
            form = company_form(co, rng, tags, role_word=role)
            b.agent_turn([template.format(g=g, num=num, co=form)], keep=(form,))

    # -- body
    for k in range(rng.randint(3, 8)):
        b.customer_turn(rng.choice(CUSTOMER_LINES))
        if "customer-forbidden" not in tags and any(w in b.utts[-1]["text"] for w in ("不知道", "不行", "不管", "没办法")):
            tags.append("customer-forbidden")
        x = rng.random()
        if late_mention and k == 3:
            # well past the opening (four exchanges in): naming the company now is no greeting
            form = company_form(co, rng, tags, role_word=True)
            b.agent_turn([f"我们{form}这边会给您处理的", rng.choice(AGENT_NEUTRAL)], keep=(form,))
        elif x < 0.09:
            kind_tag, line = rng.choice(AGENT_BLUNT)
            labels["forbidden"] = True
            tags += ["blunt", f"blunt-{kind_tag}"]
            notes.append(f"forbidden: {line}")
            sentences = [line]
            if kind_tag in ("refusal", "turn-final", "seed") and rng.random() < 0.3:
                sentences.insert(0, rng.choice(BEFORE_BLUNT))
            if kind_tag in ("refusal", "brushoff") and rng.random() < 0.25:
                sentences.append(rng.choice(AFTER_BLUNT))
            if rng.random() < 0.2 and _cut_phrase_turn(b, sentences, rng):
                tags.append("cut-phrase")
                continue
            b.agent_turn(sentences)
        elif x < 0.5:
            kind_tag, line = rng.choice(AGENT_INNOCENT)
            tags += ["lookalike", f"lookalike-{kind_tag}"]
            sentences = [line]
            if rng.random() < 0.4:
                sentences.insert(rng.randrange(2), rng.choice(AGENT_NEUTRAL))
            if rng.random() < 0.15 and _cut_phrase_turn(b, sentences, rng):
                tags.append("cut-phrase")
                continue
            b.agent_turn(sentences)
        else:
            b.agent_turn([rng.choice(AGENT_NEUTRAL) for _ in range(rng.randint(1, 2))])

    # -- closing
    b.customer_turn(rng.choice(["好的谢谢", "好的那就这样", "行我知道了", "好的没有了"]))
    y = rng.random()
    survey = rng.random() < 0.25
    if y < 0.14:
        labels["closing"] = True
        notes.append("closing: the agent does not say 再见")
        b.agent_turn([rng.choice(CLOSE_BAD)])
        if rng.random() < 0.5:
            b.customer_turn("好的再见")
            tags.append("customer-says-goodbye")
    elif y < 0.2:
        labels["closing"] = True
        notes.append("closing: only the survey prompt says 再见")
        b.agent_turn([rng.choice(CLOSE_BAD)])
        survey = True
    else:
        line = rng.choice(CLOSE_GOOD)
        if rng.random() < 0.2 and _cut_phrase_turn(b, [line], rng, phrase="再见"):
            tags.append("cut-phrase")
        else:
            b.agent_turn([line])
        if rng.random() < 0.4:
            b.customer_turn(rng.choice(["好再见", "拜拜", "好的谢谢", "嗯好"]))
    if survey:
        tags.append("prompt")
        b.t += rng.randint(300, 1500)
        b.agent_turn(SURVEY, prompt=True)

    call = {"call_id": f"rs-{i:05d}", "agent_id": f"a-{i % 23:02d}", "direction": "outbound" if outbound else "inbound",
            "variables": {"company": {"name": co.name, "aliases": list(co.aliases)}}, "utterances": b.utterances()}
    return RealCall(call, labels, sorted(set(tags)), notes)


CUT_AT = ("不知道", "不清楚", "不行", "不管", "没办法", "不归", "自己去", "自己联系")


def _cut_phrase_turn(b: _Builder, sentences: list[str], rng: random.Random, phrase: str | None = None) -> bool:
    """The agent's turn with a phrase cut in two by the recognizer and a backchannel of the
    customer between the pieces ("再" / 嗯 / "见", "我不" / 对 / "知道"). False when the
    sentences hold no phrase to cut."""
    words = (phrase,) if phrase else CUT_AT
    which = next((i for i, sentence in enumerate(sentences) if any(w in sentence for w in words)), None)
    if which is None:
        return False
    word = next(w for w in words if w in sentences[which])
    text = b._render(sentences[which], keep=(word,))
    at = text.find(word)
    if at < 0:
        return False
    for sentence in sentences[:which]:
        b.sentence(b._render(sentence), last_in_turn=False)
    cut = at + rng.randrange(1, len(word))
    first = b.say("agent", text[:cut])
    gap = rng.randint(150, 700)
    b.backchannel(first, gap, words=["嗯", "对", "啊", "是"])
    b.t = first["end_ms"] + gap
    second = b.say("agent", text[cut:])
    b.t = second["end_ms"] + (rng.randint(500, 1500) if which < len(sentences) - 1 else 0)
    for i, sentence in enumerate(sentences[which + 1:], which + 1):
        b.sentence(b._render(sentence), last_in_turn=i == len(sentences) - 1)
    b.t += rng.randint(300, 800)
    return True


def realstyle_calls(n: int = 2000, seed: int = 20261127) -> list[RealCall]:
    rng = random.Random(seed)
    return [make_call(i, rng) for i in range(n)]
