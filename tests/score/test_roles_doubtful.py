"""Roles that look wrong: a caller's story on the agent's side, a whole call with its roles
swapped, the agent's opening put on the customer's side. The warnings say so, and no agent is
accused of what reads like the caller's words."""

from __future__ import annotations

from app.ingest.roles import names_company, narration
from app.models import Call
from app.score.scorer import ScoringConfig, score_call
from tests.score.test_real_calls import call, rule


def test_a_callers_story_on_the_agents_side_accuses_no_one(lexicon):
    c = call(("agent", "您好瑞丰电器请讲", 0, 2), ("customer", "我的手机被扣费了", 2.5, 4),
             ("agent", "我根本都不知道，这是昨天晚上我查话费余额的时候我才发现怎么突然扣了这么多", 4.5, 12),
             ("agent", "好的我帮您查一下再见", 13, 15))
    res = score_call(c, lexicon)
    assert rule(res, "forbidden").status == "passed"
    assert any(w.startswith("utterance 2, the agent's, reads like the caller's own story") for w in res.warnings)


def test_the_agents_own_blunt_answer_is_no_story():
    assert narration("这个我也不知道，您问商家吧") == []
    assert narration("我帮您查一下，系统显示您上个月扣了十元") == []
    assert len(narration("我根本不知道，我昨天才发现扣了我的钱")) >= 2


def test_roles_swapped_for_the_whole_call_are_said(lexicon):
    c = call(("customer", "您好瑞丰电器请问有什么可以帮您", 0, 2), ("agent", "喂你好我家空调坏了怎么回事", 2.5, 5),
             ("customer", "您稍等我帮您查一下您的工单", 5.5, 8), ("agent", "你们什么时候能来我的空调太差了", 8.5, 11),
             ("customer", "好的给您登记了感谢您的来电再见", 11.5, 14))
    res = score_call(c, lexicon)
    assert any("roles may be swapped" in w for w in res.warnings)


def test_the_agents_opening_on_the_customers_side_is_read_as_the_agents(lexicon):
    c = call(("customer", "您好瑞丰电器九六六为您服务请问有什么可以帮您", 0, 4), ("customer", "我的空调坏了", 4.2, 6),
             ("agent", "好的您稍等我帮您查一下", 6.5, 9), ("agent", "好的感谢您的来电再见", 20, 22))
    res = score_call(c, lexicon)
    greet = rule(res, "greeting")
    assert greet.status == "passed" and all(h.utterance_index == 0 and h.speaker == "customer" for h in greet.hits)
    assert any("labelled the customer's, opens the call with the agent's words" in w for w in res.warnings)
    # a customer who opens by asking for the company is no agent
    c = call(("customer", "喂你好是瑞丰电器吗", 0, 2), ("agent", "对的请讲", 2.5, 3.5), ("agent", "再见", 20, 21))
    assert rule(score_call(c, lexicon), "greeting").status == "failed"


def test_a_script_on_the_customers_side_at_the_start(lexicon):
    c = Call.model_validate({"call_id": "x", "utterances": [
        {"speaker": "customer", "text": "你好966为您服务请问有什么能帮您的吗？你好我刚才讨论一下我这个数", "start_ms": 0, "end_ms": 9000},
        {"speaker": "agent", "text": "您说是您这个151的手机号吗", "start_ms": 9500, "end_ms": 11000}]})
    config = ScoringConfig(scripts={"greeting": ("{greeting}{number}为您服务请问有什么可以帮您",)})
    assert rule(score_call(c, lexicon, config), "greeting").status == "passed"


def test_a_company_name_with_half_its_characters_in_place_names_it():
    assert names_company("哎你好东方永红的维修服务委员", ("东方雨虹",))
    assert not names_company("哎你好东边的维修服务", ("东方雨虹",))
    assert not names_company("你好瑞东", ("瑞丰",))  # two characters: only as written


def test_role_inference_settles_the_agent_who_names_a_garbled_company():
    import json

    from app.ingest.formats import Hints, read_body

    sentences = [{"BeginTime": 0, "EndTime": 900, "Text": "喂。", "ChannelId": 1, "SpeakerId": "2"},
                 {"BeginTime": 1000, "EndTime": 4000, "Text": "哎，你好，东方永红的维修服务专员。", "ChannelId": 0, "SpeakerId": "1"},
                 {"BeginTime": 4200, "EndTime": 5000, "Text": "啊，你好。", "ChannelId": 1, "SpeakerId": "2"},
                 {"BeginTime": 5200, "EndTime": 7000, "Text": "咱那还需要维修吗？", "ChannelId": 0, "SpeakerId": "1"},
                 {"BeginTime": 7200, "EndTime": 9000, "Text": "先不用了，谢谢您了。", "ChannelId": 1, "SpeakerId": "2"},
                 {"BeginTime": 9100, "EndTime": 10000, "Text": "好，再见。", "ChannelId": 0, "SpeakerId": "1"}]
    doc = json.dumps({"Result": {"Sentences": sentences}}, ensure_ascii=False).encode()
    (c,) = read_body(doc, hints=Hints(company=("东方雨虹",)), fallback_call_id="x")
    assert c.source.roles == "inferred" and c.source.agent_speaker == "1"
