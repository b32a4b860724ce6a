"""Blunt answers found by their grammar: who, adverbs, a core, particles, and what follows."""

from __future__ import annotations

import pytest

from app.score.scorer import score_call
from tests.conftest import make_call
from tests.score.test_real_calls import rule

BLUNT = [
    ("周末不行", "不行"),  # a time, then 不行
    ("没办法 您只能等", "没办法"),  # what the customer must put up with
    ("我们也管不了呀", "管不了"),
    ("不清楚 您问商家吧", "不清楚"),  # a dismissal
    ("我不知道那天不是我值班", "不知道"),  # an excuse
    ("小李这边不清楚", "不清楚"),  # the agent's name for themselves
    ("我们这里确实不知道", "不知道"),
    ("这个真的没有办法你自己看着办", "没有办法"),
    ("这个不归我们管的", "不归我们管"),
    ("这个我也不智道", "不知道"),  # one character by its sound
    ("不行这个不能退", "不行"),  # a refusal that opens its clause
]
INNOCENT = [
    "不清楚的地方随时问我",  # reassurance
    "您是不清楚怎么操作吗",  # a question
    "空调还是不行",  # a thing's state
    "开机也不行",
    "这个我不太清楚我去核实一下再回复您",  # goes on to act
    "没办法直接退我给您申请一下",
    "不知道也没关系",
    "他们那边说不知道",  # a quote
    "我不知道您之前联系的是哪位",  # an object: part of a longer sentence
    "如果没办法开机的话您先拔一下电源",  # a condition
    "您知不知道机器的型号",
    "对不起我听不清楚您再说一遍",  # a sense's limit
    "车辆不行驶的时候不会扣费",  # another word
]


def forbidden(lexicon, *lines):
    call = make_call(("agent", "您好瑞丰电器请讲"), ("customer", "那我这个问题怎么办"), *lines)
    return rule(score_call(call, lexicon), "forbidden")


@pytest.mark.parametrize(("said", "core"), BLUNT)
def test_blunt_answers_in_words_no_list_holds(lexicon, said, core):
    f = forbidden(lexicon, ("agent", said))
    assert f.status == "failed", said
    (hit,) = f.hits
    assert hit.phrase == core and hit.detail.startswith("blunt answer:")


@pytest.mark.parametrize("said", INNOCENT)
def test_innocent_frames_stay_innocent(lexicon, said):
    assert forbidden(lexicon, ("agent", said)).status == "passed", said


def test_the_core_cut_over_fragments_with_noise_between(lexicon):
    f = forbidden(lexicon, ("agent", "我这边也不清", 10_000, 11_000), ("customer", "嗯", 11_100, 11_300), ("agent", "楚", 11_400, 11_600))
    assert f.status == "failed" and f.hits[0].matched == "我这边也不清 / 楚"


def test_before_the_customer_asks_anything_nothing_is_an_answer(lexicon):
    res = score_call(make_call(("agent", "不行"), ("customer", "喂")), lexicon)
    assert rule(res, "forbidden").status == "passed"
