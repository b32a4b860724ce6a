"""The shape of lexicon files, as pydantic models. Validation only; compiling is elsewhere."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["required", "forbidden", "silence"]
RuleSpeaker = Literal["agent", "customer", "any"]
RuleDirection = Literal["inbound", "outbound", "any"]
Boundary = Literal["word", "none"]
Scope = Literal["overlap", "after", "before", "turn"]


# A phrase, alias or exception written as a plain string: never empty.
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchOptions(_Strict):
    """How phrases may match. Per rule, overridable per phrase."""

    pinyin: bool | None = None
    fuzzy: float | None = Field(default=None, gt=0, le=1)
    boundary: Boundary | None = None
    max_insert: int | None = Field(default=None, ge=0, le=4)
    max_gap: int | None = Field(default=None, ge=0, le=20)
    # A forbidden phrase in a question asks, it does not answer ("你们公司规定就是这样吗"); a
    # rhetorical or abusive one counts there too (这都不知道？, 你他妈能不能听我说完？).
    in_question: bool | None = None


def _flatten(value: Any) -> Any:
    """YAML anchors put lists inside lists ([*help, *not_blunt]); read them as one list."""
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


class ExceptionSpec(_Strict):
    text: str = Field(min_length=1)
    scope: Scope = "overlap"
    max_insert: int | None = Field(default=None, ge=0, le=4)  # default: the phrase's own


class PhraseSpec(MatchOptions):
    text: str = Field(min_length=1)
    aliases: list[Text] = Field(default_factory=list)
    clause_end: bool = False
    alone: bool = False
    opens_clause: bool = False
    exceptions: list[Text | ExceptionSpec] = Field(default_factory=list)

    _flat = field_validator("exceptions", mode="before")(_flatten)


class GroupSpec(_Strict):
    name: str
    phrases: list[Text | PhraseSpec] = Field(min_length=1)


class CoreSpec(_Strict):
    text: str = Field(min_length=1)
    # know: 不知道 / 不清楚 | cannot: 没办法 / 处理不了 | refuse: 不行 | notmine: 管不了 / 不归我们管
    kind: Literal["know", "cannot", "refuse", "notmine"]
    # said only of a named thing to be a refusal (周末不可以, 这样不可以); bare, it answers a
    # question of fact ("能在这里验票吗" "不可以")
    needs_topic: bool = False


class AnswerGrammar(_Strict):
    """Blunt answers (生硬的回答) as a grammar rather than a list of sentences: who (我, 我们,
    小李这边 ...), adverbs (也, 都, 真, 实在 ...), the core (不知道, 没办法, 不行, 管不了 ...,
    also by its sound), particles, and what follows (nothing, an excuse, a dismissal); with no
    help offered after it in the turn. The lists of what makes it innocent say where the core
    is someone else's, a condition, a quote, a question or the state of a thing."""

    cores: list[CoreSpec] = Field(min_length=1)
    who: list[Text] = Field(default_factory=list)  # the agent's side speaking of itself
    # a name may stand before these as the agent's self-reference (小李这边, 我们这里)
    who_after_name: list[Text] = Field(default_factory=list)
    adverbs: list[Text] = Field(default_factory=list)
    particles: list[Text] = Field(default_factory=list)
    lead: list[Text] = Field(default_factory=list)  # what may stand before a core that opens its clause (那, 这个)
    dismissals: list[Text] = Field(default_factory=list)  # what leaves the customer to it (你等着吧, 您问商家吧)
    excuses: list[Text] = Field(default_factory=list)  # a reason that helps no one (那天不是我值班)
    help: list[Text] = Field(default_factory=list)  # help or action offered later in the turn: not blunt
    subjects: list[Text] = Field(default_factory=list)  # someone else not knowing (您不知道, 他也不清楚)
    conditions: list[Text] = Field(default_factory=list)  # if, because ... before it in its clause
    quotes: list[Text] = Field(default_factory=list)  # the agent repeating someone's words (您是说)
    # just before a core of a kind, what makes it a thing's state or a sense's limit: 还是不行,
    # 一直不行 (refuse); 听不清楚 (know)
    states: dict[Literal["know", "cannot", "refuse", "notmine"], list[Text]] = Field(default_factory=dict)
    topics: list[Text] = Field(default_factory=list)  # what 不行 may refuse (周末, 退货, 这个)
    # after a pause, a clause holding one of these goes on from the core as a question (我不知道 /
    # (pause) / 您之前联系的是哪位); one that does not is a new sentence (…您的工单已经提交了)
    asked: list[Text] = Field(default_factory=list)
    openers: list[Text] = Field(default_factory=list)  # what begins a new sentence after a pause (请问, 还有)
    # after a core of a kind, what makes it part of a longer sentence: 不知道您…, 没办法给您…, 不行的话
    embedded: dict[Literal["know", "cannot", "refuse", "notmine"], list[Text]] = Field(default_factory=dict)


class Window(_Strict):
    """Where in the call a rule reads. Turns are counted as the speaker's turns that took the
    floor (interjections do not count); seconds from the start or to the end of the call, or
    of the speaker's own speech (`seconds_of: speaker`). A count of turns and of seconds
    together read both: the first two turns and the first 15 seconds."""

    first_turns: int | None = Field(default=None, ge=1)
    last_turns: int | None = Field(default=None, ge=1)
    first_seconds: float | None = Field(default=None, gt=0)
    last_seconds: float | None = Field(default=None, gt=0)
    seconds_of: Literal["call", "speaker"] = "call"
    before_hold: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> Window:
        first = self.first_turns is not None or self.first_seconds is not None
        last = self.last_turns is not None or self.last_seconds is not None
        if sum((first, last, bool(self.before_hold))) > 1:
            set_fields = [k for k, v in self.model_dump().items() if v not in (None, False, "call")]
            raise ValueError(
                f"give one window, not {set_fields}: first_turns and/or first_seconds, last_turns and/or "
                "last_seconds, or before_hold (no window means the whole call)"
            )
        return self


class Deduction(_Strict):
    once: float | None = Field(default=None, ge=0, le=100)
    per_hit: float | None = Field(default=None, ge=0, le=100)
    cap: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one(self) -> Deduction:
        if (self.once is None) == (self.per_hit is None):
            raise ValueError("give exactly one of `once: points` or `per_hit: points` (with optional `cap`)")
        if self.cap is not None and self.per_hit is None:
            raise ValueError("`cap` goes with `per_hit`")
        return self


class Example(_Strict):
    """A small call. `utterances` items are {speaker, text, start_ms?, end_ms?}."""

    utterances: list[dict[str, Any]] = Field(min_length=1)
    variables: dict[str, Any] = Field(default_factory=dict)
    direction: Literal["inbound", "outbound"] | None = None
    note: str | None = None


class Examples(_Strict):
    hit: list[str | Example] = Field(min_length=1)
    miss: list[str | Example] = Field(min_length=1)


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,48}$")
    name: str
    kind: Kind
    speaker: RuleSpeaker = "agent"
    direction: RuleDirection = "any"
    window: Window = Field(default_factory=Window)
    match: MatchOptions = Field(default_factory=MatchOptions)
    phrases: list[Text | PhraseSpec] = Field(default_factory=list)
    all_of: list[GroupSpec] = Field(default_factory=list)
    exceptions: list[Text | ExceptionSpec] = Field(default_factory=list)
    deduction: Deduction
    veto: bool = False
    max_seconds: float | None = Field(default=None, gt=0)
    message: str = Field(min_length=4)
    examples: Examples
    # The center's standard scripts (标准话术) for this rule, with {greeting}, {number} and
    # variable slots: the rule passes when the agent's speech in its window matches one by
    # sound with at least `script_similarity` (app.match.script). None by default: a center's own.
    scripts: list[Text] = Field(default_factory=list)
    script_similarity: float = Field(default=0.8, ge=0, le=1)
    answers: AnswerGrammar | None = None  # forbidden rules: blunt answers, as a grammar (app.match.answers)

    _flat = field_validator("exceptions", "phrases", mode="before")(_flatten)


class BrandSpec(_Strict):
    """How a recognizer writes a company's name beyond its configured forms: the brand heard
    as near-sounding words, its category word dropped or changed, a suffix after it."""

    near_sound: list[str] = Field(default_factory=lambda: ["z/zh", "c/ch", "s/sh", "l/n", "f/h", "n/ng",
                                                           "j/z", "q/c", "x/s"])
    categories: list[str] = Field(default_factory=list)  # words after the brand that name the trade (电器)
    suffixes: list[str] = Field(default_factory=list)  # words that may follow the brand (厂家, 客服中心)
    introductions: list[str] = Field(default_factory=list)  # words that introduce a company (这边是, 欢迎致电)
    before: list[str] = Field(default_factory=list)  # other words that may stand before a name (您好)
    after: list[str] = Field(default_factory=list)  # other words that may follow it (的, 您好)
    # The frame of a self-introduction: between one of `before` and one of `frame_after` (or a
    # category or suffix) a slot the brand's length, with half its syllables heard in place,
    # names the company however the rest was heard (瑞丰 as 瑞东, 岁丰).
    frame_after: list[str] = Field(default_factory=list)
    others: list[str] = Field(default_factory=list)  # other companies' names: never this company
    # A name inside a question is no self-introduction ("您是在瑞丰官网买的还是…"): words just
    # before it, and words just after it (past its trade word and suffixes, and 的).
    question_before: list[str] = Field(default_factory=list)
    question_after: list[str] = Field(default_factory=list)
    min_chars: int = Field(default=2, ge=2, le=8)  # a shorter brand is only matched as written in full


class VariableSpec(_Strict):
    description: str
    example: str = Field(min_length=1)
    example_aliases: list[str] = Field(default_factory=list)
    brand: BrandSpec | None = None


class PinyinSettings(_Strict):
    fuzzy_pairs: list[str] = Field(default_factory=lambda: ["z/zh", "c/ch", "s/sh", "l/n", "f/h", "n/ng"])


class HoldSettings(_Strict):
    min_seconds: float = Field(default=15, gt=0)


class TurnSettings(_Strict):
    """What does not end a speaker's turn, and where a clause ends without punctuation."""

    backchannels: list[str] = Field(default_factory=lambda: ["对", "是", "喂", "你好", "您好", "好", "好的", "行",
                                                             "是的", "对的", "嗯好", "没错", "明白", "明白了", "知道了",
                                                             "可以", "没问题", "好嘞", "好吧", "行吧"])
    short_chars: int = Field(default=2, ge=0, le=10)
    overlap_chars: int = Field(default=12, ge=0, le=100)
    pause_ms: int = Field(default=500, ge=100, le=10_000)
    remark_ms: int = Field(default=1000, ge=100, le=60_000)
    echo_ms: int = Field(default=500, ge=0, le=5_000)


class ScriptSlots(_Strict):
    """What the built-in slots of standard scripts accept (`{number}` is any run of numerals)."""

    greeting: list[Text] = Field(default_factory=lambda: ["您好", "你好", "早上好", "上午好", "中午好", "下午好",
                                                          "晚上好"], min_length=1)


class LexiconSettings(_Strict):
    label: str | None = None
    pinyin: PinyinSettings = Field(default_factory=PinyinSettings)
    holds: HoldSettings = Field(default_factory=HoldSettings)
    turns: TurnSettings = Field(default_factory=TurnSettings)
    # Recorded prompts on the agent's channel: from the first of these to the end of that agent
    # turn, the speech is a machine's (a satisfaction survey), not the agent's.
    prompts: list[str] = Field(default_factory=list)
    # What only an agent says opening a call (为您服务, 有什么可以帮您): found where the call
    # begins in speech labelled as the customer's, it is the agent's opening put on the wrong
    # side by the recognizer, and the opening rules read it there too (saying so).
    agent_openings: list[Text] = Field(default_factory=list)
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    retired: list[str] = Field(default_factory=list)
    script_slots: ScriptSlots = Field(default_factory=lambda: ScriptSlots())


class RuleFile(_Strict):
    # `definitions` holds YAML anchors (&help) reused in rules (*help); it is not read otherwise
    definitions: Any = None
    rules: list[dict[str, Any]] = Field(default_factory=list)
