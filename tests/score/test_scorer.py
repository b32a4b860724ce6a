from __future__ import annotations

import pytest

from app.errors import UnscorableCall
from app.models import Call
from app.score.scorer import ScoringConfig, score_call
from tests.conftest import make_call

GOOD_OPEN = ("agent", "您好，瑞丰电器，请问有什么可以帮您？")
GOOD_CLOSE = ("agent", "感谢您的来电，再见。")


def rule(result, rule_id):
    return next(r for r in result.rules if r.rule_id == rule_id)


def test_clean_call_passes_with_full_score(lexicon):
    res = score_call(make_call(GOOD_OPEN, ("customer", "我家空调坏了。"), ("agent", "好的，我帮您登记。"), GOOD_CLOSE), lexicon)
    assert res.score == 100.0 and res.passed
    assert res.lexicon_version == lexicon.version
    assert rule(res, "greeting").hits and rule(res, "closing").hits


def test_customer_speech_is_never_the_agents_violation(lexicon):
    res = score_call(make_call(GOOD_OPEN, ("customer", "我不知道，这事你们管不管？傻逼！"), ("agent", "我帮您处理。"), GOOD_CLOSE), lexicon)
    assert rule(res, "forbidden").hits == []
    assert rule(res, "profanity").hits == []
    assert res.passed


def test_forbidden_hit_carries_checkable_evidence(lexicon):
    call = make_call(GOOD_OPEN, ("customer", "修好了吗？"), ("agent", "这个我，呃，也不知道。", 5000, 7000), GOOD_CLOSE)
    res = score_call(call, lexicon)
    forb = rule(res, "forbidden")
    assert forb.status == "failed" and forb.deduction == 5.0
    (hit,) = forb.hits
    assert hit.utterance_index == 2 and hit.speaker == "agent" and hit.start_ms == 5000
    assert hit.phrase == "不知道" and hit.method == "exact" and "我也" in hit.detail
    text = call.utterances[2].text
    assert text[hit.offset:hit.offset + len(hit.matched)] == hit.matched == "我，呃，也不知道"
    assert res.score == 95.0 and res.passed  # 95 >= pass mark, no required rule failed


def test_same_sound_hit_is_marked_pinyin(lexicon):
    res = score_call(make_call(GOOD_OPEN, ("agent", "我不智道。"), GOOD_CLOSE), lexicon)
    (hit,) = rule(res, "forbidden").hits
    assert (hit.method, hit.matched, hit.similarity) == ("pinyin", "我不智道", 1.0)


def test_same_sound_real_word_is_not_a_violation(lexicon):
    # 步行 sounds like 不行 but is a real word: the agent said "walk", not "no"
    res = score_call(make_call(GOOD_OPEN, ("agent", "步行。"), GOOD_CLOSE), lexicon)
    assert rule(res, "forbidden").hits == []


def test_phrase_split_across_fragments_matches_and_points_at_first_fragment(lexicon):
    call = make_call(("agent", "您好欢迎"), ("agent", "致电"), ("agent", "瑞丰电器请问有什么可以帮您"),
                     ("customer", "没事了"), ("agent", "感谢您"), ("agent", "的来电再"), ("agent", "见"))
    res = score_call(call, lexicon)
    assert rule(res, "greeting").passed
    close = rule(res, "closing")
    assert close.passed
    (hit,) = close.hits
    assert hit.utterance_index == 5 and hit.matched == "再见"


def test_windows_count_turns_not_fragments(lexicon):
    # the company is named in the agent's third turn: too late
    call = make_call(("agent", "喂？"), ("customer", "是瑞丰电器吗？"), ("agent", "您好，什么事？"), ("customer", "空调坏了"),
                     ("agent", "这里是瑞丰电器。"), GOOD_CLOSE)
    res = score_call(call, lexicon)
    greet = rule(res, "greeting")
    assert greet.status == "failed" and not res.passed
    assert greet.nearest is not None and greet.nearest.missing == "公司名"
    assert greet.nearest.utterance_index in (0, 2)


def test_failed_required_rule_names_nearest_miss(lexicon):
    call = make_call(GOOD_OPEN, ("customer", "好的"), ("agent", "好的，就这样。"))
    res = score_call(call, lexicon)
    close = rule(res, "closing")
    assert close.status == "failed" and close.deduction == 10.0
    assert close.nearest.utterance_index in (0, 2)
    assert 0 <= close.nearest.similarity < 1
    assert close.message


def test_missing_variable_means_not_applicable_not_failed(lexicon):
    res = score_call(make_call(GOOD_OPEN, GOOD_CLOSE, company=None), lexicon)
    greet = rule(res, "greeting")
    assert greet.status == "not_applicable" and "company" in greet.note
    res2 = score_call(make_call(GOOD_OPEN, GOOD_CLOSE, company=None), lexicon,
                      ScoringConfig(default_variables={"company": ("瑞丰电器",)}))
    assert rule(res2, "greeting").status == "passed"


def test_variable_aliases_match(lexicon):
    call = Call.model_validate({"call_id": "x", "variables": {"company": {"name": "瑞丰电器有限公司", "aliases": ["瑞丰"]}},
                                "utterances": [{"speaker": "agent", "text": "您好，瑞丰，请讲。"}, {"speaker": "agent", "text": "再见"}]})
    assert rule(score_call(call, lexicon), "greeting").passed


def test_veto_sets_score_to_zero(lexicon):
    res = score_call(make_call(GOOD_OPEN, ("agent", "你是不是傻逼啊。"), GOOD_CLOSE), lexicon)
    prof = rule(res, "profanity")
    assert prof.veto and res.score == 0.0 and not res.passed


def test_pass_mark_is_a_setting(lexicon):
    call = make_call(GOOD_OPEN, ("customer", "能退吗？"), ("agent", "不行。"), ("customer", "啊？"), ("agent", "不知道。"),
                     ("customer", "好吧"), ("agent", "这事我们不管。"), ("customer", "行"), GOOD_CLOSE)
    res = score_call(call, lexicon)
    assert res.score == 85.0 and res.passed
    assert not score_call(call, lexicon, ScoringConfig(pass_mark=90)).passed


def test_direction_selects_rules(lexicon):
    opening = ("agent", "您好，我是瑞丰电器客服，您的订单已经发货了。")
    inbound = score_call(make_call(opening, GOOD_CLOSE), lexicon)
    assert rule(inbound, "outbound_confirm").status == "not_applicable"
    outbound = score_call(make_call(opening, GOOD_CLOSE, direction="outbound"), lexicon)
    assert rule(outbound, "outbound_confirm").status == "failed"


def test_holds(lexicon):
    call = make_call(("agent", "您好，瑞丰电器。", 0, 1500), ("customer", "查一下订单。", 2000, 3000),
                     ("agent", "我看一下。", 3500, 4500), ("agent", "查到了。", 90000, 91000),
                     ("agent", "请您稍等。", 92000, 93000), ("agent", "好了，再见。", 113000, 114000))
    res = score_call(call, lexicon)
    notice = rule(res, "hold_notice")
    assert notice.status == "failed" and notice.deduction == 5.0  # one of two holds unannounced
    limit = rule(res, "hold_limit")
    (hit,) = limit.hits
    assert hit.utterance_index == 3 and "85.5 s" in hit.detail


def test_untimed_call_skips_time_rules_with_a_reason(lexicon):
    res = score_call(make_call(GOOD_OPEN, GOOD_CLOSE), lexicon)
    assert rule(res, "hold_limit").status == "not_applicable"
    assert "times" in rule(res, "hold_limit").note


def test_no_agent_speech_is_refused_not_scored(lexicon):
    with pytest.raises(UnscorableCall, match="no agent speech"):
        score_call(make_call(("customer", "喂？"), ("agent", "  ")), lexicon)


def test_out_of_order_times_around_an_untimed_utterance(lexicon):
    call = make_call(("agent", "您好，瑞丰电器。", 5000, 6000), ("customer", "喂"), ("agent", "再见", 1000, 2000))
    res = score_call(call, lexicon)
    assert "utterance 2 starts before utterance 0: turns follow the input order" in res.warnings
    assert any("no times" in w for w in res.warnings)


def test_out_of_order_times_are_scored_with_a_warning(lexicon):
    call = make_call(("agent", "您好，瑞丰电器。", 5000, 6000), ("customer", "你好", 1000, 2000), ("agent", "再见", 7000, 8000))
    res = score_call(call, lexicon)
    assert any("before utterance" in w for w in res.warnings)
    assert res.passed


@pytest.mark.parametrize("text", ["😀😀😀 hello world OK", "ＯＫ，ｔｈａｎｋｓ", "a" * 10, "\u200b\u200b"])
def test_odd_text_gives_a_defined_result(lexicon, text):
    res = score_call(make_call(("agent", text), ("agent", "您好瑞丰电器再见")), lexicon)
    assert 0 <= res.score <= 100


def test_huge_utterance_is_scored(lexicon):
    filler = "我们这边会尽快为您处理好这个问题，" * 6000  # ~100,000 characters
    call = make_call(GOOD_OPEN, ("agent", filler + "我不知道。"), GOOD_CLOSE)
    res = score_call(call, lexicon)
    (hit,) = rule(res, "forbidden").hits
    assert hit.offset == len(filler)


def test_garbled_category_word_still_names_the_company_by_its_brand(lexicon):
    # 店里 (dian li) for 电器 (dian qi): the brand is said, followed by what sounds like a
    # category word (电力)
    res = score_call(make_call(("agent", "您好，欢迎致电瑞丰店里。"), GOOD_CLOSE), lexicon)
    greet = rule(res, "greeting")
    assert greet.passed
    (company,) = [h for h in greet.hits if h.phrase == "瑞丰"]
    assert (company.method, company.similarity, company.matched) == ("exact", 1.0, "瑞丰")
    assert company.detail == "brand '瑞丰', followed by '店里'"


def test_failed_required_rule_fails_the_call_even_with_a_high_score(lexicon):
    res = score_call(make_call(GOOD_OPEN, ("customer", "好"), ("agent", "好的，就这样。")), lexicon)
    assert res.score == 90.0 and not res.passed


def test_lone_surrogate_is_refused_in_json_and_scored_from_python(lexicon):
    from pydantic import ValidationError

    from app.ingest.native import describe_validation_error, parse_call

    with pytest.raises(ValidationError) as exc:
        parse_call('{"call_id": "s", "utterances": [{"speaker": "agent", "text": "您好\\ud800"}]}')
    assert describe_validation_error(exc.value).startswith("invalid JSON")
    call = make_call(("agent", "您好\ud800瑞丰电器，再见"))
    res = score_call(call, lexicon)
    assert rule(res, "greeting").passed and rule(res, "closing").passed


def test_a_long_utterance_is_quoted_in_part_as_the_nearest_place(lexicon):
    """The answer to a 1 MB utterance is not three copies of it: the nearest place is an excerpt."""
    from app.score.scorer import NEAREST_CHARS, score_call
    from tests.conftest import make_call

    call = make_call(("agent", "我们这边帮您看一下" * 5000))
    greeting = next(r for r in score_call(call, lexicon).rules if r.rule_id == "greeting")
    assert greeting.status == "failed" and greeting.nearest is not None
    assert len(greeting.nearest.text) <= NEAREST_CHARS + 2 and greeting.nearest.text.endswith("…")
