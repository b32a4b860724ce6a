"""Verdicts on calls as recognizers write them: fragments, crosstalk, no punctuation, garbled
brands, recorded prompts."""

from __future__ import annotations

import pytest

from app.models import Call
from app.score.scorer import score_call
from tests.conftest import make_call


def rule(result, rule_id):
    return next(r for r in result.rules if r.rule_id == rule_id)


def call(*lines, company=("瑞丰电器", "瑞丰"), direction=None):
    """lines: (speaker, text) or (speaker, text, start s, end s)."""
    utts = []
    for line in lines:
        u = {"speaker": line[0], "text": line[1]}
        if len(line) == 4:
            u["start_ms"], u["end_ms"] = round(line[2] * 1000), round(line[3] * 1000)
        utts.append(u)
    data = {"call_id": "c", "utterances": utts, "variables": {"company": {"name": company[0], "aliases": list(company[1:])}}}
    if direction:
        data["direction"] = direction
    return Call.model_validate(data)


CLOSE = ("agent", "好的感谢您的来电再见", 60, 62)


def test_outbound_opening_naming_the_company_in_the_third_turn_ten_seconds_in_passes(lexicon):
    c = call(("agent", "喂", 0, 0.4), ("customer", "喂你好哪位", 0.8, 1.8), ("agent", "哎你好请问是张先生对吗", 2.2, 4.3),
             ("customer", "对是我什么事", 4.6, 6.0), ("agent", "这边是瑞丰厂家的跟您确认一下安装时间", 9.5, 13.0),
             ("customer", "好的", 13.4, 13.8), CLOSE, direction="outbound")
    greet = rule(score_call(c, lexicon), "greeting")
    assert greet.status == "passed"
    company = next(h for h in greet.hits if h.phrase == "瑞丰")  # the configured short form
    assert (company.utterance_index, company.matched, company.start_ms) == (4, "瑞丰", 9500)


def test_the_same_opening_untimed_is_three_turns_and_fails(lexicon):
    c = call(("agent", "喂"), ("customer", "喂你好哪位"), ("agent", "哎你好请问是张先生对吗"), ("customer", "对是我什么事"),
             ("agent", "这边是瑞丰厂家的跟您确认一下安装时间"), ("agent", "好的再见"), direction="outbound")
    assert rule(score_call(c, lexicon), "greeting").status == "failed"


def test_a_company_named_well_into_the_call_is_no_greeting(lexicon):
    c = call(("agent", "您好请讲", 0, 1.5), ("customer", "我的灶具打不着火", 2, 5), ("agent", "请问是在哪里买的", 5.5, 7),
             ("customer", "旗舰店", 7.5, 8.5), ("agent", "我们瑞丰电器这边会安排师傅", 40, 43), CLOSE)
    assert rule(score_call(c, lexicon), "greeting").status == "failed"


@pytest.mark.parametrize(("heard", "company", "matched", "detail"), [
    ("您好锐峰电器请讲", ("瑞丰电器",), "锐峰电器", None),  # same sound, the whole name
    ("上午好欢迎致电南天电器", ("蓝天空调", "蓝天"), "南天", None),  # the alias by near sound (l/n)
    ("您好瑞那个丰电器", ("瑞丰电器",), "瑞那个丰电器", None),  # a filler inside the name
    ("您好这里是星源", ("鑫源燃气",), "星源", "brand '鑫源' heard as '星源', after '这里是'"),  # in/ing, no trade word
    ("您好欢迎致电南天电器", ("蓝天空调",), "南天", "brand '蓝天' heard as '南天', followed by '电器'"),  # another trade word
    ("您好藏青保险客服", ("长青保险",), "藏青", "brand '长青' heard as '藏青', followed by '保险'"),  # 长 read cháng
    ("您好这边是瑞丰官方客服", ("瑞丰电器",), "瑞丰", "brand '瑞丰', followed by '官方'"),
    ("您好千喜物业服务中心", ("千禧物业",), "千喜物业", None),
])
def test_brands_as_recognizers_write_them(lexicon, heard, company, matched, detail):
    greet = rule(score_call(call(("agent", heard), ("agent", "再见"), company=company), lexicon), "greeting")
    assert greet.status == "passed"
    (named,) = [h for h in greet.hits if h.phrase not in ("您好", "上午好", "欢迎致电")]
    assert (named.matched, named.detail) == (matched, detail)
    assert named.method in ("exact", "pinyin") and 0 < named.similarity <= 1


@pytest.mark.parametrize(("heard", "company"), [
    ("您好格力空调请讲", ("瑞丰电器", "瑞丰")), ("您好请讲", ("瑞丰电器", "瑞丰")), ("您好这边是客服中心", ("瑞丰电器", "瑞丰")),
    ("您好这边是海尔售后", ("海信电器", "海信")),  # one syllable in place, but another company's name
])
def test_another_company_or_none_is_not_the_company(lexicon, heard, company):
    greet = rule(score_call(call(("agent", heard), ("agent", "再见"), company=company), lexicon), "greeting")
    assert greet.status == "failed" and greet.nearest.missing == "公司名"


@pytest.mark.parametrize(("heard", "slot"), [
    ("您好瑞祥电器请讲", "瑞祥"),  # 祥 is no near sound of 丰: the recognizer wrote another syllable
    ("四四七零号为您服务下午好岁丰售后很高兴为您服务", "岁丰"),
    ("您好这边是瑞空空调厂房客服中心请问是张先生吗", "瑞空"),
    ("您好欢迎致电锐峰电器", "锐峰"),  # both syllables by their sound, in the whole frame
])
def test_a_brand_heard_otherwise_in_the_frame_of_a_self_introduction(lexicon, heard, slot):
    greet = rule(score_call(call(("agent", heard), ("agent", "再见")), lexicon), "greeting")
    assert greet.status == "passed", greet
    (named,) = [h for h in greet.hits if h.phrase in ("瑞丰", "瑞丰电器")]
    assert named.method in ("frame", "pinyin", "exact") and named.matched.startswith(slot)


@pytest.mark.parametrize("heard", [
    "您好请问您是在瑞丰官网买的还是网上买的",
    "您好请问是瑞丰电器的用户吗",
    "您好您用的瑞丰空调是吧",
])
def test_the_company_asked_about_is_no_self_introduction(lexicon, heard):
    greet = rule(score_call(call(("agent", heard), ("agent", "再见")), lexicon), "greeting")
    assert greet.status == "failed" and greet.nearest.missing == "公司名"


def test_a_near_sound_brand_with_both_syllables_changed_needs_the_whole_frame(lexicon):
    # 您约 folds to the sound of 凌岳 (n/l, in/ing), but both characters differ and nothing
    # introduces it: "给您约的时间是明天"
    c = call(("agent", "您好给您约的时间是明天上午"), ("agent", "再见"), company=("凌岳科技", "凌岳"))
    assert rule(score_call(c, lexicon), "greeting").status == "failed"


def test_a_short_brand_alone_must_stand_where_a_name_stands(lexicon):
    # 美的 (mei de) is also 没的 / 每的: said in passing it is no company name
    c = call(("agent", "您好请问有什么可以帮您我们这边没的说"), ("agent", "再见"), company=("美的电器",))
    assert rule(score_call(c, lexicon), "greeting").status == "failed"
    c = call(("agent", "您好美的客服请问有什么可以帮您"), ("agent", "再见"), company=("美的电器",))
    assert rule(score_call(c, lexicon), "greeting").status == "passed"


def test_closing_cut_in_two_with_a_backchannel_between(lexicon):
    c = call(("agent", "您好瑞丰电器请讲", 0, 2), ("customer", "保修多久", 2.5, 4), ("agent", "三年", 4.5, 5.5),
             ("customer", "好的谢谢", 6, 7), ("agent", "不客气感谢您的来电再", 7.5, 9.5), ("customer", "对", 9.4, 9.6),
             ("agent", "见", 9.8, 10))
    close = rule(score_call(c, lexicon), "closing")
    assert close.status == "passed"
    (hit,) = close.hits
    assert (hit.utterance_index, hit.matched) == (4, "再 / 见")


def test_only_the_recorded_survey_says_goodbye(lexicon):
    c = call(("agent", "您好瑞丰电器请讲", 0, 2), ("customer", "维修进度", 2.5, 4), ("agent", "那您等通知吧", 4.5, 6),
             ("customer", "行", 6.2, 6.4), ("agent", "请您对我的服务进行评价满意请按一不满意请按二", 7.5, 11),
             ("agent", "感谢您的来电再见", 11.1, 12.5))
    res = score_call(c, lexicon)
    assert rule(res, "closing").status == "failed"
    assert any("recorded prompt" in w for w in res.warnings)


def test_the_agents_goodbye_before_the_survey_counts(lexicon):
    c = call(("agent", "您好瑞丰电器请讲", 0, 2), ("customer", "改个时间", 2.5, 4), ("agent", "好的感谢您的来电再见", 4.5, 6.5),
             ("agent", "满意请按一不满意请按二", 7.5, 10))
    assert rule(score_call(c, lexicon), "closing").status == "passed"


def test_goodbye_said_early_and_the_call_going_on_without_one(lexicon):
    c = call(("agent", "您好瑞丰电器请讲", 0, 2), ("customer", "保修多久", 2.5, 5), ("agent", "三年好的再见", 6, 8.5),
             ("customer", "哎等一下空调漏水怎么办", 8.8, 12), ("agent", "可能是排水管堵了您先看一下", 12.4, 18),
             ("customer", "我看了是堵了", 18.3, 22), ("agent", "那您先清理一下如果还漏水我们安排师傅", 22.4, 30),
             ("customer", "行", 30.3, 30.6), ("agent", "有问题随时打我们电话", 33.4, 36), ("customer", "好的再见", 36.3, 37))
    assert rule(score_call(c, lexicon), "closing").status == "failed"


@pytest.mark.parametrize(("lines", "expect"), [
    ([("agent", "那这个我也不清楚啊")], True),
    ([("agent", "这个不行的")], True),
    ([("agent", "我呃不知道")], True),
    ([("agent", "我不", 0, 0.5), ("customer", "嗯", 0.6, 0.8), ("agent", "知道", 0.9, 1.3)], True),
    ([("agent", "没办法")], True),
    ([("agent", "这个！小U就不知道了。")], True),
    ([("agent", "这个我也不清楚。", 0, 1.5), ("agent", "您还有别的问题吗？", 3, 4.5)], True),
    ([("agent", "是您自己去找的吗")], False),
    ([("agent", "还是不行吗")], False),
    ([("agent", "那个行不行")], False),
    ([("agent", "不行的话我们再安排")], False),
    ([("agent", "空调还是不行")], False),
    ([("agent", "因为我不知道您的具体地址所以需要您提供一下")], False),
    ([("agent", "您是说空调不行了是吧")], False),
    ([("agent", "一直没办法联系上师傅我再帮您催一下")], False),
    ([("agent", "不知道能否远程协助呀，亲？")], False),
    ([("agent", "不行", 0, 0.5), ("customer", "对", 0.6, 0.8), ("agent", "的话我们再安排", 0.9, 2)], False),
    ([("agent", "我不知道", 0, 1), ("agent", "您之前联系的是哪位", 2.2, 4)], False),
])
def test_blunt_and_innocent_forms_without_punctuation(lexicon, lines, expect):
    c = call(("agent", "您好瑞丰电器请讲"), ("customer", "那怎么办呢我想问一下"), *lines, ("customer", "那好吧我知道了"),
             ("agent", "好的再见"))
    forb = rule(score_call(c, lexicon), "forbidden")
    assert (forb.status == "failed") is expect, forb.hits


def test_a_quote_marker_reaches_only_ten_characters_and_not_across_a_sentence(lexicon):
    quoted = call(("agent", "您是说他们让您自己去找厂家对吧"), ("agent", "再见"))
    assert rule(score_call(quoted, lexicon), "forbidden").status == "passed"
    told = call(("agent", "您是说这个。你自己去找厂家吧"), ("agent", "再见"))
    assert rule(score_call(told, lexicon), "forbidden").status == "failed"


def test_help_counts_only_close_after_the_blunt_answer(lexicon):
    near = make_call(("agent", "我不太清楚这个型号我帮您查一下"))
    far = make_call(("agent", "这个不归我们管。因为我不知道您之前联系的是哪位，所以麻烦您再说一下"))
    assert rule(score_call(near, lexicon), "forbidden").status == "passed"
    assert rule(score_call(far, lexicon), "forbidden").status == "failed"


def test_no_phrase_runs_across_the_end_of_a_sentence(lexicon):
    # 理。好 sounds like 你好 (l/n) but the sentence ended between them
    c = make_call(("agent", "瑞丰电器请讲"), ("customer", "好"), ("agent", "我们会处理。好的请问型号"), ("agent", "再见"))
    greet = rule(score_call(c, lexicon), "greeting")
    assert greet.status == "failed"
