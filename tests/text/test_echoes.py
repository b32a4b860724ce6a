"""Echoes: one channel carrying the other side's voice a few hundred ms later is nobody's own
speech; no rule reads it, and the result says so."""

from __future__ import annotations

import pytest

from app.score.scorer import score_call
from app.text.turns import find_echoes
from tests.score.test_real_calls import call, rule

OPEN = ("agent", "您好瑞丰电器请讲", 0, 2)


def test_the_customers_not_knowing_echoed_on_the_agents_channel_accuses_no_one(lexicon):
    c = call(OPEN, ("customer", "我也不清楚怎么回事", 10, 12), ("agent", "不清楚", 10.9, 11.5),
             ("agent", "好的我帮您查一下感谢您的来电再见", 14, 18))
    res = score_call(c, lexicon)
    assert rule(res, "forbidden").status == "passed"
    assert any("utterance 2 ('不清楚') repeats what the customer says" in w for w in res.warnings)


def test_an_echo_in_pieces_at_the_same_moment(lexicon):
    c = call(OPEN, ("customer", "我不知道啊", 9, 9.8), ("customer", "不", 10, 10.3), ("customer", "清楚", 10.35, 10.8),
             ("agent", "不", 10, 10.3), ("agent", "清楚", 10.35, 10.8), ("agent", "我帮您看一下再见", 14, 16))
    res = score_call(c, lexicon)
    assert rule(res, "forbidden").status == "passed"
    assert any(w.startswith("utterance 5 ('清楚')") for w in res.warnings)


def test_a_goodbye_that_only_echoes_the_customers_is_no_goodbye(lexicon):
    c = call(OPEN, ("customer", "好的那我知道了谢谢再见", 30, 32.5), ("agent", "再见", 32.2, 32.7))
    assert rule(score_call(c, lexicon), "closing").status == "failed"


@pytest.mark.parametrize("start", [33.3, 34.0])
def test_a_goodbye_said_back_after_the_customers_is_a_reply(lexicon, start):
    c = call(OPEN, ("customer", "好的那我知道了谢谢再见", 30, 32.5), ("agent", "再见", start, start + 0.5))
    res = score_call(c, lexicon)
    assert rule(res, "closing").status == "passed"
    assert not any("echo" in w for w in res.warnings)


def test_the_agent_saying_it_first_is_no_echo(lexicon):
    c = call(OPEN, ("customer", "嗯", 3, 3.2), ("agent", "感谢您的来电再见", 20, 22), ("customer", "再见", 21.6, 22.1))
    res = score_call(c, lexicon)
    assert rule(res, "closing").status == "passed"
    assert any("utterance 3 ('再见') repeats what the agent says" in w for w in res.warnings)


def test_the_same_words_at_the_same_moment_belong_to_who_held_the_floor():
    speakers = ["customer", "customer", "agent"]
    sounds = ["woyebuzhi", "buqingchu", "buqingchu"]
    # the customer was speaking: the agent's channel carries their voice
    assert find_echoes(speakers, [0, 2000, 2000], [1500, 2600, 2600], [9, 9, 9], sounds.__getitem__, 500) == {2: 1}
    speakers = ["agent", "customer", "agent"]
    assert find_echoes(speakers, [0, 2000, 2000], [1500, 2600, 2600], [9, 9, 9], sounds.__getitem__, 500) == {1: 2}
    # a little apart, the later one is the echo, whoever held the floor
    assert find_echoes(speakers, [0, 2000, 2120], [1500, 2600, 2720], [9, 9, 9], sounds.__getitem__, 500) == {2: 1}


def test_without_times_no_echo_is_looked_for_and_the_result_says_so(lexicon):
    c = call(("agent", "您好瑞丰电器请讲"), ("customer", "我也不清楚"), ("agent", "不清楚"), ("agent", "再见"))
    res = score_call(c, lexicon)
    assert any("no times" in w and "echo" in w for w in res.warnings)
    assert rule(res, "forbidden").status == "failed"
