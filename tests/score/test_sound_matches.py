"""Sound matches a person would make: a same-sound hit of a short phrase changes at most one
character, never lands inside another word, is not pieced together from separate remarks, and a
question is not an answer."""

from __future__ import annotations

import pytest

from app.score.scorer import score_call
from tests.score.test_real_calls import call, rule


def test_an_operator_number_is_no_greeting_word(lexicon):
    # 零号 (ling hao) folds to the sound of 您好 (nin hao), but both characters differ
    c = call(("agent", "四四七零号为您服务瑞丰电器"), ("agent", "再见"))
    greet = rule(score_call(c, lexicon), "greeting")
    assert greet.status == "failed" and greet.nearest.missing == "问候语"


def test_one_character_written_by_its_sound_still_greets(lexicon):
    c = call(("agent", "宁好瑞丰电器请讲"), ("agent", "再见"))
    greet = rule(score_call(c, lexicon), "greeting")
    assert greet.status == "passed"
    assert any(h.method == "pinyin" and h.matched == "宁好" for h in greet.hits)


@pytest.mark.parametrize(("last", "passed"), [
    ("好的我再检查一下", False),  # 再检 sounds like 再见 but ends inside 检查
    ("好的在见", True),  # one character by its sound, a word of its own
    ("好的在建", False),  # both characters changed
])
def test_goodbye_by_sound(lexicon, last, passed):
    c = call(("agent", "您好瑞丰电器请讲"), ("customer", "我的空调坏了"), ("agent", last))
    assert (rule(score_call(c, lexicon), "closing").status == "passed") is passed


def test_a_greeting_is_not_pieced_together_across_a_pause(lexicon):
    c = call(("agent", "瑞丰电器请问有什么可以帮您", 0, 2.5), ("customer", "嗯", 2.6, 2.8),
             ("agent", "好的我看一下", 3.6, 5), ("agent", "再见", 30, 31))
    assert rule(score_call(c, lexicon), "greeting").status == "failed"
    # the same pieces spoken on without a pause are one phrase cut by the recognizer
    c = call(("agent", "瑞丰电器您", 0, 1.5), ("customer", "嗯", 1.5, 1.7), ("agent", "好请问有什么可以帮您", 1.8, 4),
             ("agent", "再见", 30, 31))
    assert rule(score_call(c, lexicon), "greeting").status == "passed"


@pytest.mark.parametrize(("said", "flagged"), [
    ("你们公司规定就是这样吗", False),
    ("您是说公司规定就是这样？", False),
    ("公司的规定就是这样", True),
    ("你连这个都不知道？", True),  # rhetorical: it counts as a question too
])
def test_a_question_is_not_an_answer(lexicon, said, flagged):
    c = call(("agent", "您好瑞丰电器请讲"), ("customer", "为什么不能退"), ("agent", said), ("agent", "再见"))
    assert (rule(score_call(c, lexicon), "forbidden").status == "failed") is flagged
