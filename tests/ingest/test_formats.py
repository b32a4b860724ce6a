"""Every format callqa reads: the same conversation in each gives the same verdicts as its
native JSON; detection picks the right reader; each reader's edge cases; roles mapped,
named by the format, inferred, or refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import InputError
from app.ingest.formats import FORMATS, Hints, InvalidCall, UnknownFormat, detect, read_body
from app.ingest.roles import RolesUnknown
from app.score.scorer import score_call

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "formats"
HINTS = Hints(call_id="rf-20261127-0001", variables={"company": "瑞丰电器"})
FORMAT_OF = {
    "native.json": "native", "aliyun.json": "aliyun", "aliyun-sentences.json": "aliyun", "aliyun-camel.json": "aliyun",
    "paraformer.json": "paraformer", "tencent.json": "tencent", "tencent-callback.form": "tencent-callback",
    "iflytek.json": "iflytek", "aws-transcribe.json": "aws-transcribe", "aws-transcribe-items.json": "aws-transcribe",
    "contact-lens.json": "contact-lens", "whisperx.json": "whisper", "volcengine.json": "volcengine",
    "speech-analytics.json": "speech-analytics", "call.srt": "srt", "call.vtt": "webvtt", "call.txt": "text",
    "aliyun-flash.json": "aliyun-flash", "tencent-flash.json": "tencent-flash", "huawei.json": "huawei",
}


def test_every_sample_is_listed():
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(FORMAT_OF)
    assert set(FORMAT_OF.values()) == set(FORMATS)  # a sample of every format


def _result(call, lexicon) -> dict:
    return score_call(call, lexicon).model_dump(exclude={"source"})


@pytest.mark.parametrize("name", sorted(FORMAT_OF))
def test_every_format_gives_the_native_verdicts(name, lexicon):
    native = _result(read_body((SAMPLES / "native.json").read_bytes(), hints=HINTS)[0], lexicon)
    (call,) = read_body((SAMPLES / name).read_bytes(), hints=HINTS)
    assert _result(call, lexicon) == native
    assert [u.speaker for u in call.utterances] == [u["speaker"] for u in
                                                   json.loads((SAMPLES / "native.json").read_text())["utterances"]]


@pytest.mark.parametrize("name", sorted(FORMAT_OF))
def test_detection_picks_the_right_reader(name):
    found, _ = detect((SAMPLES / name).read_bytes())
    assert found == FORMAT_OF[name]


def test_roles_say_how_they_were_settled():
    (aliyun,) = read_body((SAMPLES / "aliyun.json").read_bytes(), hints=HINTS)
    assert aliyun.source.roles == "inferred" and aliyun.source.agent_speaker == "0" and "greets" in aliyun.source.note
    (lens,) = read_body((SAMPLES / "contact-lens.json").read_bytes(), hints=HINTS)
    assert lens.source.roles == "format" and lens.source.agent_speaker == "AGENT"
    from dataclasses import replace
    (mapped,) = read_body((SAMPLES / "aliyun.json").read_bytes(), hints=replace(HINTS, agents={"aliyun": "1"}))
    assert mapped.source.roles == "mapped" and mapped.utterances[0].speaker == "customer"  # as configured, even if odd


def _aliyun(sentences) -> bytes:
    return json.dumps({"TaskId": "t1", "Result": {"Sentences": sentences}}, ensure_ascii=False).encode()


def _s(ch, begin, end, text, **extra):
    return {"ChannelId": ch, "BeginTime": begin, "EndTime": end, "Text": text, **extra}


def test_empty_segments_are_dropped_and_channels_sorted_by_time():
    body = _aliyun([_s(0, 0, 3000, "您好瑞丰电器客服中心请问有什么可以帮您"), _s(0, 3100, 3200, ""),
                    _s(0, 5000, 9000, "好的我帮您登记一下再见"), _s(1, 2500, 4000, "喂你好"), _s(1, 6000, 6500, "嗯")])
    (call,) = read_body(body, hints=HINTS)
    assert [(u.speaker, u.start_ms) for u in call.utterances] == [
        ("agent", 0), ("customer", 2500), ("agent", 5000), ("customer", 6000)]


def test_numbers_as_strings_and_missing_times():
    body = json.dumps({"result": {"sentences": [
        {"channelId": "0", "beginTime": "0", "endTime": "1500", "text": "您好这里是瑞丰电器有什么可以帮您"},
        {"channelId": "1", "beginTime": "", "endTime": None, "text": "空调坏了"}]}}, ensure_ascii=False).encode()
    (call,) = read_body(body, hints=HINTS)
    assert call.utterances[0].end_ms == 1500 and call.utterances[1].start_ms is None
    with pytest.raises(InputError, match=r"Sentences\[0\].BeginTime: expected a number"):
        read_body(_aliyun([_s(0, "soon", 1, "您好")]), hints=HINTS)


def test_iflytek_nested_strings_frames_and_fillers():
    best = {"st": {"bg": "1000", "ed": "2500", "rl": "2", "rt": [{"ws": [
        {"cw": [{"w": "您好", "wp": "n"}]}, {"cw": [{"w": "，", "wp": "p"}]}, {"cw": [{"w": "瑞丰电器", "wp": "n"}]},
        {"cw": [{"w": "", "wp": "g"}]}]}]}}
    other = {"st": {"bg": "0", "ed": "800", "rl": "1", "rt": [{"ws": [{"cw": [{"w": "喂", "wp": "n"}]}]}]}}
    doc = {"code": "000000", "content": {"orderInfo": {"orderId": "o1"}, "orderResult": json.dumps(
        {"lattice": [{"json_1best": json.dumps(best, ensure_ascii=False)}, {"json_1best": json.dumps(other, ensure_ascii=False)}]},
        ensure_ascii=False)}}
    (call,) = read_body(json.dumps(doc, ensure_ascii=False).encode(), hints=Hints(agent="2"))
    assert call.call_id == "o1" and [(u.speaker, u.text, u.start_ms) for u in call.utterances] == [
        ("customer", "喂", 0), ("agent", "您好，瑞丰电器", 1000)]
    broken = {"content": {"orderResult": "{not json"}}
    with pytest.raises(InputError, match="orderResult is not valid JSON"):
        read_body(json.dumps(broken).encode())


def _iflytek_words(*ws) -> bytes:
    best = {"st": {"bg": "0", "ed": "900", "rl": "1", "rt": [{"ws": list(ws)}]}}
    other = {"st": {"bg": "1000", "ed": "1500", "rl": "2", "rt": [{"ws": [{"cw": [{"w": "嗯", "wp": "n"}]}]}]}}
    lattice = [{"json_1best": json.dumps(b, ensure_ascii=False)} for b in (best, other)]
    return json.dumps({"content": {"orderResult": json.dumps({"lattice": lattice}, ensure_ascii=False)}},
                      ensure_ascii=False).encode()


def test_iflytek_words_outside_the_usual_shape():
    # Word entries with no candidates, a candidate list that is not a list, a word that is
    # not text, or no word at all: each is read as the lfasr reference reads it (skipped or
    # empty), and the rest of the sentence is kept.
    cases = [
        ([{"cw": [{"w": "您好", "wp": "n"}]}, {"cw": []}, {"cw": [{"w": "瑞丰", "wp": "n"}]}], "您好瑞丰"),
        ([{"cw": [{"w": "您好"}]}, "stray", {"cw": [{"wp": "n"}]}, {"cw": [{"w": "瑞丰"}]}], "您好瑞丰"),
        ([{"cw": [{"w": "您好", "wp": "n"}, {"w": "你好", "wp": "n"}]}, {"cw": [{"w": None}]}], "您好"),
        ([{"cw": [{"w": 12, "wp": "n"}]}, {"cw": "abc"}, {"no": "cw"}, {"cw": [{"w": "号", "wp": "n"}]}], "12号"),
        ([{"cw": [{"w": "。", "wp": "g"}]}, {"cw": [{"w": "在吗", "wp": "n"}]}], "在吗"),
    ]
    for words, text in cases:
        (call,) = read_body(_iflytek_words(*words), hints=Hints(agent="1", call_id="c"))
        assert [(u.speaker, u.text) for u in call.utterances] == [("agent", text), ("customer", "嗯")], words
    body = json.dumps({"content": {"orderResult": json.dumps({"lattice": [{"json_1best": json.dumps(
        {"st": {"bg": "0", "ed": "9", "rl": "1", "rt": ["not an object"]}})}]})}}).encode()
    with pytest.raises(InputError, match=r"lattice\[0\].st.rt: expected objects"):
        read_body(body, hints=Hints(agent="1", call_id="c"))


def test_tencent_callback_form_and_sentence_fields():
    detail = [{"FinalSentence": "您好瑞丰电器", "StartMs": 0, "EndMs": 900, "SpeakerId": 1},
              {"FinalSentence": "", "StartMs": 1000, "EndMs": 1100, "SpeakerId": 0},
              {"FinalSentence": "我的空调不制冷", "StartMs": 1200, "EndMs": 2000, "SpeakerId": 0}]
    import urllib.parse
    body = urllib.parse.urlencode({"code": 0, "requestId": 77, "resultDetail": json.dumps(detail, ensure_ascii=False)})
    (call,) = read_body(body.encode(), hints=Hints(agent="1"))
    assert call.call_id == "77" and [u.speaker for u in call.utterances] == ["agent", "customer"]


def test_aws_items_with_channels():
    doc = {"jobName": "j1", "results": {"channel_labels": {"number_of_channels": 2, "channels": [
        {"channel_label": "ch_0", "items": [
            {"type": "pronunciation", "start_time": "0.5", "end_time": "1.0", "alternatives": [{"content": "您好"}]},
            {"type": "punctuation", "alternatives": [{"content": "，"}]},
            {"type": "pronunciation", "start_time": "1.0", "end_time": "2.0", "alternatives": [{"content": "瑞丰电器"}]},
            {"type": "pronunciation", "start_time": "6.0", "end_time": "7.0", "alternatives": [{"content": "再见"}]}]},
        {"channel_label": "ch_1", "items": [
            {"type": "pronunciation", "start_time": "2.5", "end_time": "3.0", "alternatives": [{"content": "喂"}]}]}]}}}
    (call,) = read_body(json.dumps(doc, ensure_ascii=False).encode(), hints=Hints(agent="ch_0"))
    assert [(u.speaker, u.text, u.start_ms, u.end_ms) for u in call.utterances] == [
        ("agent", "您好，瑞丰电器", 500, 2000), ("customer", "喂", 2500, 3000), ("agent", "再见", 6000, 7000)]


def test_speech_analytics_words_grouped_and_metadata():
    doc = {"mediaId": "m1", "metadata": {"ContactID": "c9", "Direction": 2, "Local_audio_start_time": "2022-03-13T14:02:17.000"},
           "transcript_detailed": {"words": [
               {"s": 270, "e": 794, "w": "您好", "sp": "Agent"}, {"s": 800, "e": 900, "w": "这边", "sp": "Agent"},
               {"s": 850, "e": 950, "w": "嗯", "sp": "Customer"}, {"s": 1000, "e": 1800, "w": "瑞丰 客服", "sp": "Agent"}]}}
    (call,) = read_body(json.dumps(doc, ensure_ascii=False).encode())
    assert call.call_id == "c9" and call.direction == "outbound" and call.started_at.year == 2022
    assert [(u.speaker, u.text) for u in call.utterances] == [
        ("agent", "您好 这边"), ("customer", "嗯"), ("agent", "瑞丰 客服")]


SRT = """1
00:00:00,33 --> 00:00:02,5
 [SPEAKER_00]: 您好，瑞丰电器
客服中心


2
00:00:03,000 --> 00:00:04,000
.
[SPEAKER_01]: 你好

3
00:00:05,000 --> 00:00:06,000
继续说话
"""


def test_srt_as_real_tools_write_it():
    (call,) = read_body(SRT.encode(), hints=Hints(agent="SPEAKER_00", call_id="s1"))
    assert [(u.speaker, u.text, u.start_ms, u.end_ms) for u in call.utterances] == [
        ("agent", "您好，瑞丰电器客服中心", 330, 2500), ("customer", "你好", 3000, 4000),
        ("customer", "继续说话", 5000, 6000)]  # a cue with no speaker keeps the last one named


def test_webvtt_without_hours_and_with_voices():
    vtt = "WEBVTT\n\nNOTE a note\nspanning lines\n\ncue-1\n00:01.000 --> 00:02.500\n<v 坐席>您好<c.x>瑞丰</c>\n\n" \
          "00:03.000 --> 00:04.000\n<v 客户>喂\n"
    (call,) = read_body(vtt.encode(), hints=Hints(call_id="v1"))
    assert [(u.speaker, u.text, u.start_ms) for u in call.utterances] == [("agent", "您好瑞丰", 1000), ("customer", "喂", 3000)]


@pytest.mark.parametrize("text,speakers", [
    ("坐席：您好瑞丰电器\n客户:喂\n", ["agent", "customer"]),
    ("客服: 您好瑞丰电器\n用户：喂", ["agent", "customer"]),
    ("[00:00:01] 座席：您好瑞丰电器\n[00:00:03] 来电人：喂", ["agent", "customer"]),
    ("1. 人工客服：您好瑞丰电器\n2. 客户：喂\n下一行接着说", ["agent", "customer"]),
    ("A: 喂\nB: 您好这里是瑞丰电器客服请问有什么可以帮您", ["customer", "agent"]),
    ("说话人 1：您好这里是瑞丰电器请问有什么可以帮您\n说话人2：喂", ["agent", "customer"]),
    ("[SPEAKER_00]: 喂\n[SPEAKER_01]: 您好这里是瑞丰电器很高兴为您服务", ["customer", "agent"]),
    ('<li start=13070 end=14870 emotion=5.0 speed=4.0 >坐席：您好瑞丰电器</li>\n<li start=15000 end=16000 class="silences">6S.</li>\n'
     "<li start=17000 end=18000>客户：喂</li>", ["agent", "customer"]),
])
def test_plain_text_exports(text, speakers):
    (call,) = read_body(text.encode(), hints=Hints(call_id="t1"))
    assert [u.speaker for u in call.utterances] == speakers


def test_plain_text_timestamps_and_continuations():
    (call,) = read_body("[00:01:23] 坐席：您好\n这里是瑞丰电器\n[84s -> 90.5s]客户: 喂".encode(), hints=Hints(call_id="t"))
    assert [(u.text, u.start_ms, u.end_ms) for u in call.utterances] == [("您好这里是瑞丰电器", 83000, None), ("喂", 84000, 90500)]


def test_outbound_call_where_the_customer_speaks_first():
    body = _aliyun([_s(1, 0, 500, "喂"), _s(0, 600, 3000, "喂您好这边是瑞丰电器客服请问是张先生吗"),
                    _s(1, 3100, 3500, "对是我"), _s(0, 3600, 6000, "您上周报修的空调师傅已经修好了吧")])
    (call,) = read_body(body, hints=Hints(variables={"company": "瑞丰电器"}))
    assert [u.speaker for u in call.utterances] == ["customer", "agent", "customer", "agent"]


def test_roles_that_cannot_be_told_are_refused():
    with pytest.raises(RolesUnknown, match="'0' 0 service phrases against 0"):
        read_body(_aliyun([_s(0, 0, 1000, "嗯嗯"), _s(1, 1000, 2000, "好的")]))
    with pytest.raises(RolesUnknown, match="names no speakers"):
        read_body(json.dumps({"segments": [{"start": 0, "end": 1, "text": "您好瑞丰电器"}]}).encode(), hints=Hints(call_id="w"))
    with pytest.raises(RolesUnknown, match=r"speakers are '0', '1'"):
        read_body(_aliyun([_s(0, 0, 1000, "您好"), _s(1, 1000, 2000, "喂")]), hints=Hints(agent="spk_0"))
    with pytest.raises(RolesUnknown, match="cannot tell which speaker"):
        read_body(_aliyun([_s(0, 0, 1000, "您好这里是瑞丰电器"), _s(1, 1000, 2000, "您好这里是瑞丰电器")]),
                  hints=Hints(variables={"company": "瑞丰电器"}))


@pytest.mark.parametrize("data,kind,message", [
    (b"hello world", UnknownFormat, "no reader recognised it"),
    (b'{"foo": 1}', UnknownFormat, "aliyun: no Result.Sentences"),
    (b'{"Result": {"Sentences": [', InputError, "invalid JSON: EOF while parsing a list at line 1 column 26"),
    (b"\x00\x01\x02binary", InputError, "binary file"),
    (b"\xff\xfe\x00", InputError, "binary"),
    (b'{"segments": [{"start": 0, "text": "\xe6\x82\xa8\xe5\xa5\xbd\xe8\xbf\x99\xe9\x87\x8c\xe6\x98\xaf\xe5\xae\xa2\xe6\x9c\x8d", "speaker": "A"}, {"start": 1, "text": "x", "speaker": "B"}]}',
     InvalidCall, "call id"),
    (b"WEBVTT\n\n00:02.000 --> 00:01.000\n<v a>x\n", InputError, "ends before it starts"),
])
def test_bad_input_is_named(data, kind, message):
    with pytest.raises(kind, match=message):
        read_body(data)


def test_an_explicit_format_overrides_detection():
    with pytest.raises(InputError, match="not tencent"):
        read_body((SAMPLES / "aliyun.json").read_bytes(), "tencent")
    (call,) = read_body((SAMPLES / "call.txt").read_bytes(), "text", HINTS)
    assert call.source.format == "text"
    with pytest.raises(InputError, match="unknown format 'mp3'"):
        read_body(b"x", "mp3")


ODD_BODIES = [b"null", b"true", b"1", b'"x"', b"[]", b"{}", b"[null]", b"[1, 2]", b'{"Result": null}',
              b'{"Result": {"Sentences": [null]}}', b'{"Result": {"Sentences": [{"ChannelId": 0, "BeginTime": []}]}}',
              b'{"transcripts": [{"sentences": [1]}]}', b'{"Response": {"Data": {"ResultDetail": [{"StartMs": {}}]}}}',
              b'{"content": {"orderResult": "null"}}', b'{"content": {"orderResult": "{\\"lattice\\": [1]}"}}',
              b'{"content": {"orderResult": "{\\"lattice\\": [{\\"json_1best\\": \\"[]\\"}]}"}}',
              b'{"results": {"items": [1]}}', b'{"results": {"audio_segments": [null]}}',
              b'{"results": {"channel_labels": {"channels": [{"items": [{"alternatives": "x"}]}]}}}',
              b'{"Transcript": [{"ParticipantId": 1, "BeginOffsetMillis": -5}]}', b'{"segments": [{"start": "x", "text": 1}]}',
              b'{"result": {"utterances": [{"additions": 5, "start_time": "-1"}]}}',
              b'{"plainTextTime": {"verbatims": [{"s": null, "w": null}]}}', b'{"transcript_detailed": {"words": [7]}}',
              b"WEBVTT\n\n99:99.999 --> 00:00.000\n", b"1\n00:00:01,000 --> 00:00:00,500\nx\n", b"\xef\xbb\xbf",
              b"code=0&resultDetail=%5B1%5D", b"[00:00:01] \xe5\x9d\x90\xe5\xb8\xad\xef\xbc\x9a"]


_HUGE = "9" * 5000  # (beyond the 4,300 digits Python converts to an int)
ODD_BODIES += [
    b'{"content": {"orderResult": "{\\"lattice\\": [{\\"json_1best\\": \\"{\\\\\\"st\\\\\\": {\\\\\\"bg\\\\\\": \\\\\\"'
    + _HUGE.encode() + b'\\\\\\", \\\\\\"ed\\\\\\": \\\\\\"1\\\\\\", \\\\\\"rl\\\\\\": \\\\\\"1\\\\\\"}}\\"}]}"}}',
    ("[" + _HUGE[:400] + "s -> 1s] 坐席：您好").encode(), ("[1s -> " + _HUGE[:400] + "s] 坐席：您好").encode(),
    ('<li start="' + _HUGE + '" end="1">坐席：您好</li>').encode(),
    b'{"Result": {"Sentences": [{"ChannelId": 0, "BeginTime": "' + _HUGE.encode() + b'", "Text": "x"}]}}',
    b'{"Result": {"Sentences": [{"ChannelId": 0, "BeginTime": 1e308, "Text": "x"}]}}',
    b'{"segments": [{"start": 1e300, "end": 1e301, "text": "x", "speaker": "A"}]}',
]


@pytest.mark.parametrize("fmt", [None, *FORMATS])
def test_odd_bodies_in_every_format_are_refused_never_crash(fmt):
    """Whatever the body and the format asked for: calls, or an InputError saying why."""
    for body in ODD_BODIES:
        try:
            read_body(body, fmt, Hints(call_id="odd", agent="0"))
        except InputError:
            pass


def _iflytek_times(bg: str, ed: str) -> bytes:
    sentences = [{"st": {"bg": bg, "ed": ed, "rl": "1", "rt": [{"ws": [{"cw": [{"w": "您好", "wp": "n"}]}]}]}},
                 {"st": {"bg": "0", "ed": "1", "rl": "2", "rt": [{"ws": [{"cw": [{"w": "喂", "wp": "n"}]}]}]}}]
    lattice = [{"json_1best": json.dumps(b, ensure_ascii=False)} for b in sentences]
    return json.dumps({"content": {"orderResult": json.dumps({"lattice": lattice}, ensure_ascii=False)}},
                      ensure_ascii=False).encode()


@pytest.mark.parametrize("body,message", [
    (_iflytek_times(_HUGE, "1"), r"lattice\[0\].st.bg: expected a time of zero or more"),
    (_iflytek_times("0", _HUGE), r"lattice\[0\].st.ed: expected a time of zero or more"),
    (_iflytek_times("9" * 16, "9" * 17), "a time too large"),
    (("[" + _HUGE[:400] + "s -> 1s] 坐席：您好\n客户：喂").encode(), "line 1: the time 9{24}…s is too large"),
    (f'<li start="1" end="{_HUGE}">坐席：您好</li>'.encode(), "line 1: start / end are not whole milliseconds"),
    (json.dumps({"segments": [{"start": 0, "end": 1e300, "text": "x", "speaker": "A"},
                              {"start": 2, "end": 3, "text": "y", "speaker": "B"}]}).encode(), "a time too large"),
])
def test_times_too_long_to_be_times_are_named(body, message):
    with pytest.raises(InputError, match=message):
        read_body(body, hints=Hints(agent="1", call_id="c"))
    # the same times at 15 digits are read
    (call,) = read_body(_iflytek_times("9" * 15, "9" * 15), hints=Hints(agent="1", call_id="c"))
    assert max(u.start_ms for u in call.utterances) == 10**15 - 1


@pytest.mark.parametrize("direction,expected", [(2, "outbound"), ("2", "outbound"), ("²", None), (_HUGE, None),
                                                (int(_HUGE[:300]), None), (True, None), ("", None)])
def test_speech_analytics_direction_of_any_shape(direction, expected):
    doc = {"metadata": {"ContactID": "c9", "Direction": direction},
           "transcript_detailed": {"words": [{"s": 0, "e": 1, "w": "您好", "sp": "Agent"},
                                             {"s": 2, "e": 3, "w": "喂", "sp": "Customer"}]}}
    (call,) = read_body(json.dumps(doc, ensure_ascii=False).encode())
    assert call.direction == expected


def test_every_json_reader_says_which_top_level_keys_it_needs():
    from app.ingest.vendors import JSON_READERS, TOP_KEYS

    assert set(TOP_KEYS) == set(JSON_READERS)


def test_tencent_flash_one_channel_takes_the_diarized_speaker():
    body = {"request_id": "t1", "code": 0, "flash_result": [{"channel_id": 0, "sentence_list": [
        {"text": "您好瑞丰电器客服请问有什么可以帮您", "start_time": 0, "end_time": 2000, "speaker_id": 1},
        {"text": "", "start_time": 2100, "end_time": 2200, "speaker_id": 0},
        {"text": "我家空调坏了", "start_time": "2300", "end_time": "3900", "speaker_id": 0}]}]}
    (call,) = read_body(json.dumps(body, ensure_ascii=False).encode(), hints=Hints(agent="1"))
    assert call.call_id == "t1" and call.source.format == "tencent-flash"
    assert [(u.speaker, u.start_ms) for u in call.utterances] == [("agent", 0), ("customer", 2300)]
    # two channels: the channel is the speaker, whatever speaker_id says
    body["flash_result"] = [{"channel_id": c, "sentence_list": [
        {"text": t, "start_time": a, "end_time": a + 900, "speaker_id": 0}]} for c, t, a in ((0, "您好瑞丰电器", 0), (1, "你好", 1000))]
    (call,) = read_body(json.dumps(body, ensure_ascii=False).encode(), hints=Hints(agent="1"))
    assert [u.speaker for u in call.utterances] == ["customer", "agent"]


def test_aliyun_flash_without_channels_is_refused_with_the_reason():
    body = {"status": 20000000, "flash_result": {"duration": 5000, "sentences": [
        {"text": "您好瑞丰电器", "begin_time": 0, "end_time": 1000}, {"text": "你好", "begin_time": 1200, "end_time": 1600}]}}
    found, _ = detect(json.dumps(body, ensure_ascii=False).encode())
    assert found == "aliyun-flash"
    with pytest.raises(RolesUnknown, match="names no speakers"):
        read_body(json.dumps(body, ensure_ascii=False).encode(), hints=Hints(call_id="a1"))
    body["flash_result"]["sentences"][0]["begin_time"] = -5
    with pytest.raises(InputError, match=r"flash_result.sentences\[0\].begin_time: expected a time"):
        read_body(json.dumps(body, ensure_ascii=False).encode(), hints=Hints(call_id="a1", agent="0"))


def test_huawei_speaker_labels_roles_and_broken_segments():
    def seg(who, text, a):
        return {"start_time": a, "end_time": a + 900, "result": {"text": text, "analysis_info": {"role": who}}}
    body = {"job_id": "h1", "segments": [seg("speaker1", "您好瑞丰电器客服中心请问有什么可以帮您", 0), seg("speaker2", "我家空调不制冷", 1000),
                                         seg("speaker1", "好的请您稍等我帮您登记一下工单", 2000)]}
    (call,) = read_body(json.dumps(body, ensure_ascii=False).encode(), hints=Hints(variables={"company": "瑞丰电器"}))
    assert call.call_id == "h1" and call.source.roles == "inferred" and call.source.agent_speaker == "speaker1"
    assert [u.speaker for u in call.utterances] == ["agent", "customer", "agent"]
    body["segments"][1]["result"]["analysis_info"]["role"] = "USER"  # the customer named: the other one is the agent
    (call,) = read_body(json.dumps(body, ensure_ascii=False).encode())
    assert call.source.roles == "format" and [u.speaker for u in call.utterances] == ["agent", "customer", "agent"]
    body["segments"].append({"start_time": 3000, "end_time": 3500, "result": "嗯"})
    with pytest.raises(InputError, match=r"segments\[3\].result: expected an object"):
        read_body(json.dumps(body, ensure_ascii=False).encode())
    whisper_like = {"segments": [{"start": 0.0, "end": 1.0, "text": "您好", "speaker": "A"}]}
    assert detect(json.dumps(whisper_like, ensure_ascii=False).encode())[0] == "whisper"
