"""Standard scripts (标准话术): a center's opening and closing with slots, matched by sound as a
whole, from the lexicon, CALLQA_SCRIPTS or the call itself."""

from __future__ import annotations

import random

import pytest

from app.errors import ConfigError, LexiconError, UnscorableCall
from app.lexicon.compiler import lexicon_from_files
from app.lexicon.loader import read_files
from app.match.script import Alternative, Row, Unit, Window, align
from app.models import Call
from app.score.scorer import ScoringConfig, check_config, score_call
from app.settings import load_settings
from tests.score.test_real_calls import rule

OPENING = "{number}号为您服务{greeting}{company}售后很高兴为您服务请问有什么可以帮您"
CLOSING = "感谢来电请您稍后评价再见"
CONFIG = ScoringConfig(scripts={"greeting": (OPENING,), "closing": (CLOSING,)})


def hotline(opening: str, closing: str = "好的感谢您的来电再见", **extra) -> Call:
    return Call.model_validate({"call_id": "h", "variables": {"company": ["瑞丰电器", "瑞丰"], **extra}, "utterances": [
        {"speaker": "agent", "text": opening, "start_ms": 0, "end_ms": 6000},
        {"speaker": "customer", "text": "我家空调不制冷了", "start_ms": 6500, "end_ms": 8000},
        {"speaker": "agent", "text": closing, "start_ms": 60000, "end_ms": 62000}]})


@pytest.mark.parametrize("opening", [
    "四四七零号为您服务 下午好 岁丰售后 很高兴为您服务 请问有什么可以帮您",  # one syllable of the brand otherwise
    "幺幺零八号为您服务下午好有风售后很高兴为您服务请问有什么可以帮您",  # both of them
    "久了号为您服务 下午好 瑞丰售后 很高兴为您服务 请问有什么可以帮您",  # the number garbled
    "嗯 四四七零号为您服务 下午好 瑞丰售后 很高兴为您服务 请问有什么",  # the last words cut off
])
def test_an_opening_read_in_full_passes_however_a_word_was_heard(lexicon, opening):
    greet = rule(score_call(hotline(opening), lexicon, CONFIG), "greeting")
    assert greet.status == "passed"
    (hit,) = greet.hits
    assert hit.method == "script" and hit.phrase == OPENING and 0.8 <= hit.similarity <= 1
    assert hit.detail.startswith("script 1 of 1") and "售后" in hit.detail


def test_which_script_parts_were_not_heard_is_said(lexicon):
    greet = rule(score_call(hotline("四四七零号为您服务 下午好 有风售后 很高兴为您服务 请问有什么可以帮您"), lexicon, CONFIG),
                 "greeting")
    assert "not heard: {company}" in greet.hits[0].detail
    assert greet.hits[0].matched.startswith("四四七零号")


@pytest.mark.parametrize("opening", ["您好请问有什么可以帮您", "喂 你好 请讲", "您好很高兴为您服务请问有什么可以帮您"])
def test_an_opening_that_leaves_out_much_of_the_script_fails(lexicon, opening):
    greet = rule(score_call(hotline(opening), lexicon, CONFIG), "greeting")
    assert greet.status == "failed"
    assert greet.nearest.missing.startswith("script 1:") and greet.nearest.similarity < 0.8


def test_the_closing_script_with_its_goodbye_garbled(lexicon):
    # 再见 written 这些: the script was read, the recognizer slipped
    res = score_call(hotline("四四七零号为您服务下午好瑞丰售后", closing="好的感谢来电请您稍后评价这些"), lexicon, CONFIG)
    assert rule(res, "closing").status == "passed"
    assert rule(score_call(hotline("四四七零号为您服务下午好瑞丰售后", closing="好的感谢来电请您稍后评价这些"), lexicon),
                "closing").status == "failed"  # without the script: no 再见


def test_a_call_brings_its_own_scripts_and_they_come_first(lexicon):
    own = {"greeting": ["工号{number}为您服务{greeting}"]}
    c = hotline("工号幺幺零八为您服务 下午好", scripts=own)
    assert rule(score_call(c, lexicon, CONFIG), "greeting").status == "passed"
    assert rule(score_call(hotline("工号幺幺零八为您服务 下午好"), lexicon, CONFIG), "greeting").status == "failed"


@pytest.mark.parametrize(("own", "said"), [
    ({"greeting": ["{compny}售后"]}, "variables.scripts.greeting.0: unknown slot {compny}"),
    ({"greting": ["您好"]}, "variables.scripts.greting: no rule 'greting'"),
    ({"greeting": []}, "variables.scripts.greeting: give a list of one or more scripts"),
])
def test_a_calls_own_scripts_that_cannot_be_used_are_refused_with_their_place(lexicon, own, said):
    with pytest.raises(UnscorableCall, match=said.replace("{", r"\{").replace("}", r"\}")):
        score_call(hotline("您好", scripts=own), lexicon)


def test_scripts_must_be_a_mapping_of_lists():
    with pytest.raises(ValueError, match="scripts"):
        hotline("您好", scripts="您好{company}")


def test_a_script_without_its_variable_leaves_the_rules_to_decide(lexicon):
    c = Call.model_validate({"call_id": "x", "utterances": [{"speaker": "agent", "text": "您好瑞丰售后"}]})
    greet = rule(score_call(c, lexicon, CONFIG), "greeting")
    assert greet.status == "not_applicable" and "{company}" in greet.note


def test_bad_settings_are_refused_at_start_with_the_place(lexicon, monkeypatch):
    monkeypatch.setenv("CALLQA_SCRIPTS", '{"greeting": ["{operator}号为您服务"], "greting": ["x"]}')
    config = load_settings().scoring()
    with pytest.raises(ConfigError) as err:
        check_config(lexicon, config)
    assert "CALLQA_SCRIPTS.greeting.0: unknown slot {operator}" in str(err.value)
    assert "CALLQA_SCRIPTS.greting: no rule 'greting'" in str(err.value)
    monkeypatch.setenv("CALLQA_SCRIPTS", '{"greeting": [')
    with pytest.raises(ConfigError, match="CALLQA_SCRIPTS is not valid JSON"):
        load_settings()


def test_lexicon_scripts_are_checked_with_every_problem_listed(lexicon):
    files = read_files(lexicon.directory)
    text = files["greeting.yaml"].decode()
    text = text.replace("    deduction: {once: 10}", "    scripts: ['{number}号为您服务', '{nmber}好', '']\n"
                        "    script_similarity: 1.5\n    deduction: {once: 10}")
    files["greeting.yaml"] = text.encode()
    with pytest.raises(LexiconError) as err:
        lexicon_from_files(files, "x")
    problems = [str(p) for p in err.value.problems]
    assert any("script_similarity" in p for p in problems), problems


def test_lexicon_scripts_with_unknown_slots(lexicon):
    files = read_files(lexicon.directory)
    text = files["greeting.yaml"].decode().replace(
        "    deduction: {once: 10}", "    scripts: ['{number}号为您服务', '{nmber}好']\n    deduction: {once: 10}")
    files["greeting.yaml"] = text.encode()
    with pytest.raises(LexiconError) as err:
        lexicon_from_files(files, "x")
    (problem,) = err.value.problems
    assert (problem.file, problem.rule_id, problem.field) == ("greeting.yaml", "greeting", "scripts.1")
    assert "unknown slot {nmber}" in problem.message


def _reference(pattern: str, text: str) -> float:
    """The cheapest edits that turn some stretch of `text` into `pattern` (a character left out
    or replaced costs one, one added half): every stretch tried, a plain dynamic programme each."""
    def cost(p: str, t: str) -> float:
        d = [[0.0] * (len(t) + 1) for _ in range(len(p) + 1)]
        for j in range(len(t) + 1):
            d[0][j] = j * 0.5
        for i in range(1, len(p) + 1):
            d[i][0] = float(i)
            for j in range(1, len(t) + 1):
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 0.5, d[i - 1][j - 1] + (p[i - 1] != t[j - 1]))
        return d[len(p)][len(t)]
    return min(cost(pattern, text[a:b]) for a in range(len(text) + 1) for b in range(a, len(text) + 1))


def test_the_alignment_against_a_plain_reference():
    rng = random.Random(7)
    for _ in range(300):
        pattern = "".join(rng.choice("abcd") for _ in range(rng.randint(1, 7)))
        text = "".join(rng.choice("abcde") for _ in range(rng.randint(1, 14)))
        alt = Alternative(tuple(Row("c", ch, 0, 1) for ch in pattern), (Unit(pattern, None),), len(pattern), ())
        cost, start, end = align(alt, Window(text, text, [0] * len(text), list(range(len(text)))), [], [])
        assert cost == _reference(pattern, text), (pattern, text)
        assert _reference(pattern, text[start:end]) == cost, (pattern, text, start, end)
