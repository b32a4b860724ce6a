from __future__ import annotations

import pytest

from app.text.normalize import all_breaks, clause_breaks, normalize, particle_breaks, sentence_breaks
from app.text.turns import PROMPT, build_call_text
from tests.conftest import make_call


def text_of(lexicon, *turns, **kw):
    return build_call_text(make_call(*turns, **kw), lexicon.sound_lut, None, lexicon.policy)


def shape(ct):
    """(speaker, minor, utterance indexes) of every turn, in order."""
    return [(t.speaker, t.minor, t.utterances) for t in ct.turns]


def test_backchannels_and_noise_do_not_end_the_agents_turn(lexicon):
    # the opening: 您好您好这边 / 嗯 / 是 / A / 瑞丰电器客服中心请问是梁先生吗
    ct = text_of(lexicon, ("agent", "您好您好这边", 0, 1100), ("customer", "嗯", 900, 1200), ("agent", "是", 1300, 1500),
                 ("customer", "A", 1500, 1700), ("agent", "瑞丰电器客服中心请问是梁先生吗", 1800, 4600))
    assert shape(ct) == [("agent", False, (0, 2, 4)), ("customer", True, (1, 3))]
    agent = ct.turns[0]
    assert agent.norm == "您好您好这边是瑞丰电器客服中心请问是梁先生吗"
    assert ct.speaker_turn_ids("agent", minor=False) == [0]
    # where the customer cut in, a clause may end; evidence still points at the fragments
    assert agent.joins == (6, 7)
    assert agent.original(4, 9) == (0, 4, "这边 / 是 / 瑞丰")


def test_a_real_reply_takes_the_floor(lexicon):
    ct = text_of(lexicon, ("agent", "您好请问是张先生吗", 0, 2000), ("customer", "是我你哪位啊", 2500, 4000),
                 ("agent", "这边是瑞丰电器的", 4500, 6000))
    assert shape(ct) == [("agent", False, (0,)), ("customer", False, (1,)), ("agent", False, (2,))]


def test_a_short_remark_begun_over_the_speaker_does_not_take_the_floor(lexicon):
    # 我想问一下 (5 characters) starts while the agent is still speaking; the agent goes on
    ct = text_of(lexicon, ("agent", "您好瑞丰电器请问有什么", 0, 3000), ("customer", "我想问一下", 2500, 3500),
                 ("agent", "可以帮您", 3600, 4500))
    assert shape(ct) == [("agent", False, (0, 2)), ("customer", True, (1,))]
    # the same words said after the agent stopped are a reply
    ct = text_of(lexicon, ("agent", "您好瑞丰电器请问有什么", 0, 3000), ("customer", "我想问一下", 3200, 4000),
                 ("agent", "可以帮您", 4100, 4500))
    assert [t.minor for t in ct.turns] == [False, False, False]


def test_the_agents_short_remark_inside_the_customers_turn_is_still_read(lexicon):
    ct = text_of(lexicon, ("agent", "您好瑞丰电器请讲", 0, 2000), ("customer", "我想把这个退了然后", 2600, 5000),
                 ("agent", "不行", 5100, 5500), ("customer", "然后换一个大一点的", 5600, 8000))
    assert shape(ct) == [("agent", False, (0,)), ("customer", False, (1, 3)), ("agent", True, (2,))]
    assert ct.turns[2].norm == "不行" and ct.offsets[2] >= 0  # scanned with the agent's speech
    assert ct.speaker_turn_ids("agent") == [0, 2] and ct.speaker_turn_ids("agent", minor=False) == [0]


def test_a_speaker_who_takes_the_floor_takes_back_their_short_pieces(lexicon):
    # 我不 (two characters) first looks like an interjection; when the agent goes on, it is
    # the start of the agent's turn
    ct = text_of(lexicon, ("customer", "我的订单什么时候到", 0, 2000), ("agent", "我不", 2500, 2900),
                 ("customer", "嗯", 3000, 3200), ("agent", "知道您之前联系的是哪位", 3300, 5500))
    assert shape(ct) == [("customer", False, (0, 2)), ("agent", False, (1, 3))]
    assert ct.turns[1].norm == "我不知道您之前联系的是哪位"


def test_pauses_and_the_other_side_mark_clause_ends_but_a_quick_cut_does_not(lexicon):
    ct = text_of(lexicon, ("agent", "这个我也", 0, 800), ("agent", "不清楚", 850, 1500), ("agent", "您还有", 2500, 3000),
                 ("agent", "别的问题吗", 3050, 4000))
    (turn,) = ct.turns
    assert turn.joins == (7,)  # the 1 s pause after 不清楚; the 50 ms cuts are no ends
    assert turn.breaks(lexicon.segmenter) == (0, 7, 15)


def test_a_sentence_final_particle_ends_a_clause_unless_it_is_part_of_a_word(lexicon):
    ct = text_of(lexicon, ("agent", "不知道啊你问别人吧"), ("agent", "我们去酒吧聊"))
    turn = ct.turns[0]
    assert 3 in turn.breaks(lexicon.segmenter)  # after 啊 (dropped from the text)
    assert 11 not in turn.breaks(lexicon.segmenter)  # 酒吧 is a word, not a particle


@pytest.mark.parametrize("text", ["我不知道。你问别人吧", "我，呃，不知道。", "神经病，嗯，医院", "不知道啊，你问别人吧",
                                  "不知道您这边方便吗", "还是不行吗？我帮您看看", "好的！再见。", "嗯……我不太清楚", "你们去酒吧吗"])
def test_one_pass_finds_what_the_three_simple_readers_find(text):
    clause, sentence, particle, question = all_breaks(text)
    assert clause == tuple(sorted(set(clause_breaks(text)) | set(question)))
    assert sentence == sentence_breaks(text)
    assert particle == particle_breaks(text)
    assert all(0 <= b <= len(normalize(text)) for b in clause + particle)


def test_a_recorded_survey_is_cut_out_of_the_agents_turn(lexicon):
    ct = text_of(lexicon, ("agent", "您好瑞丰电器请讲", 0, 2000), ("customer", "我想查维修进度", 2500, 4000),
                 ("agent", "系统显示明天派单那您等通知吧", 4500, 7000), ("customer", "行", 7200, 7400),
                 ("agent", "请您对我的服务进行评价满", 8500, 10000), ("agent", "意请按一不满意请按二", 10100, 12000),
                 ("agent", "感谢您的来电再见", 12100, 13500))
    speakers = [(t.speaker, t.utterances) for t in ct.turns]
    assert ("agent", (2,)) in speakers and (PROMPT, (4, 5, 6)) in speakers
    assert ct.prompts == [(4, "满意请按")]
    assert "再见" not in ct.joined_norm  # no rule reads the prompt


def test_untimed_fragments_with_an_interjection_between_them(lexicon):
    ct = text_of(lexicon, ("agent", "我不"), ("customer", "嗯"), ("agent", "知道"))
    (turn, _) = ct.turns
    assert turn.norm == "我不知道" and turn.joins == (2,)
    assert not ct.timed and ct.holds(15_000) == []


@pytest.mark.parametrize("case", ["one speaker", "hundreds of single characters", "overlapping", "backwards"])
def test_odd_calls_get_a_defined_shape(lexicon, case):
    if case == "one speaker":
        turns = [("agent", f"第{i}句话", i * 1000, i * 1000 + 800) for i in range(30)]
    elif case == "hundreds of single characters":
        turns = [("agent" if i % 2 else "customer", "的嗯啊好"[i % 4], i * 100, i * 100 + 80) for i in range(600)]
    elif case == "overlapping":
        turns = [("agent" if i % 2 else "customer", "我们这边看一下", i * 100, i * 100 + 5000) for i in range(50)]
    else:
        turns = [("agent" if i % 2 else "customer", "我们这边看一下", 100_000 - i * 1000, 100_500 - i * 1000) for i in range(50)]
    ct = text_of(lexicon, *turns)
    covered = sorted(k for t in ct.turns for k in t.utterances)
    assert covered == list(range(len(turns)))  # every utterance in exactly one turn
    assert all(ct.turns[ct.turn_of(k)].index == ct.turn_of(k) for k in covered)
