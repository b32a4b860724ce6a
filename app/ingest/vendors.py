"""Readers of the JSON that speech-recognition services produce, one per format. Each takes
the parsed document and returns the calls in it, or raises FormatMismatch saying what it
looked for, or MalformedInput saying where the document is broken. Field references:
README.md (Input formats); times end up in milliseconds whatever the format's unit.
"""

from __future__ import annotations

import json
from itertools import repeat
from typing import Any

from app.ingest.raw import (
    FormatMismatch,
    MalformedInput,
    RawCall,
    RawUtterance,
    fragments,
    get,
    items,
    json_value,
    key,
    label,
    ms,
    ms_digits,
    objects,
    place,
    utterance,
)
from app.ingest.raw import text_of as _text

# -- Alibaba Cloud ---------------------------------------------------------------------------

def aliyun(doc: Any) -> list[RawCall]:
    """Alibaba Cloud file transcription (录音文件识别): `Result.Sentences[]`, the bare
    `Sentences` array, a bare list of sentences, and the lowerCamelCase variant with numbers as
    strings (号码隐私保护). The speaker is `SpeakerId` where given (智能分轨), else `ChannelId`."""
    call_id = None
    if isinstance(doc, dict):
        result = get(doc, "Result")
        sentences = get(result, "Sentences") if isinstance(result, dict) else None
        if sentences is None:
            sentences = get(doc, "Sentences")
        call_id = label(get(doc, "TaskId"))
    else:
        sentences = doc
    if not isinstance(sentences, list) or not sentences or not all(
            isinstance(s, dict) and get(s, "BeginTime") is not None and get(s, "ChannelId") is not None
            for s in sentences[:3]):
        raise FormatMismatch("no Result.Sentences / Sentences with BeginTime and ChannelId")
    first = sentences[0]
    k_begin, k_end, k_text = key(first, "BeginTime"), key(first, "EndTime"), key(first, "Text")
    k_channel, k_speaker = key(first, "ChannelId"), key(first, "SpeakerId")
    out = fragments(sentences, "Sentences", k_speaker, k_text, k_begin, k_end, other_speaker=k_channel)
    return [RawCall("aliyun", out, call_id=call_id)]


def aliyun_flash(doc: Any) -> list[RawCall]:
    """Alibaba Cloud 录音文件识别极速版 (FlashRecognizer): `flash_result.sentences[]` ({text,
    begin_time, end_time}, ms); the speaker is `channel_id`."""
    result = get(doc, "flash_result")
    sentences = result.get("sentences") if isinstance(result, dict) else None
    if not isinstance(sentences, list):
        raise FormatMismatch("no flash_result.sentences[] (an object holding a list)")
    out = fragments(sentences, "flash_result.sentences", "channel_id", "text", "begin_time", "end_time")
    return [RawCall("aliyun-flash", out, call_id=label(get(doc, "task_id")))]


def paraformer(doc: Any) -> list[RawCall]:
    """Alibaba Model Studio Paraformer / Fun-ASR file transcription: `transcripts[].sentences[]`,
    one transcript per channel; the speaker is `speaker_id` where diarization gave one, else
    the channel."""
    transcripts = get(doc, "transcripts")
    if not isinstance(transcripts, list) or not transcripts or not all(
            isinstance(t, dict) and isinstance(t.get("sentences"), list) for t in transcripts):
        raise FormatMismatch("no transcripts[].sentences[]")
    out = []
    for ti, t in enumerate(transcripts):
        where = f"transcripts[{ti}].sentences"
        out.extend(fragments(items(t.get("sentences"), where), where, "speaker_id", "text", "begin_time", "end_time",
                             default_speaker=label(t.get("channel_id"))))
    return [RawCall("paraformer", out)]


# -- Tencent Cloud ---------------------------------------------------------------------------

def tencent(doc: Any) -> list[RawCall]:
    """Tencent Cloud DescribeTaskStatus (`Response.Data.ResultDetail[]`, or `Data` / the task
    itself), and the callback's form fields once decoded (`resultDetail`, a JSON string).
    The speaker is `SpeakerId` (with two channels: 0 left, 1 right)."""
    task = doc
    if isinstance(doc, dict) and isinstance(get(doc, "Response"), dict):
        task = get(doc, "Response")
    if isinstance(task, dict) and isinstance(get(task, "Data"), dict):
        task = get(task, "Data")
    details = get(task, "ResultDetail")
    call_id = label(get(task, "TaskId", "requestId"))
    if isinstance(details, str):  # the callback carries it as a JSON string
        try:
            details = json.loads(details)
        except (ValueError, RecursionError) as exc:
            raise MalformedInput(f"resultDetail is not valid JSON: {exc}") from None
    if not isinstance(details, list) or (details and not all(
            isinstance(d, dict) and (d.get("FinalSentence") is not None or d.get("StartMs") is not None)
            for d in details[:3])):
        raise FormatMismatch("no Response.Data.ResultDetail[] (or resultDetail) with FinalSentence and StartMs")
    out = fragments(details, "ResultDetail", "SpeakerId", "FinalSentence", "StartMs", "EndMs", other_text="WrittenText")
    return [RawCall("tencent", out, call_id=call_id)]


def tencent_flash(doc: Any) -> list[RawCall]:
    """Tencent Cloud 录音文件识别极速版 (flash): `flash_result[]`, one entry per channel, each
    with `sentence_list[]` ({text, start_time, end_time, speaker_id}, ms). With two channels or
    more the channel is the speaker; with one, `speaker_id` (diarization)."""
    results = get(doc, "flash_result")
    if not isinstance(results, list) or not results or not all(
            isinstance(r, dict) and isinstance(r.get("sentence_list"), list) for r in results):
        raise FormatMismatch("no flash_result[].sentence_list[] (a list of channels)")
    by_channel = len(results) > 1
    out: list[RawUtterance] = []
    for ri, r in enumerate(results):
        out.extend(fragments(r["sentence_list"], f"flash_result[{ri}].sentence_list", None if by_channel else "speaker_id",
                             "text", "start_time", "end_time", default_speaker=label(r.get("channel_id"))))
    return [RawCall("tencent-flash", out, call_id=label(get(doc, "request_id")))]


# -- iFlytek ---------------------------------------------------------------------------------

def _sentences(lattice: list) -> list:
    """Each lattice entry's `json_1best`, decoded: the strings of all entries parsed as one JSON
    array (one parser call instead of one per sentence); where that fails, entry by entry, so
    the message names the entry at fault."""
    texts = [e.get("json_1best") if type(e) is dict else None for e in lattice]
    try:
        objects_only = all(map(str.startswith, texts, repeat("{"))) and all(map(str.endswith, texts, repeat("}")))
    except TypeError:  # (an entry that is not a string)
        objects_only = False
    if texts and objects_only:
        try:
            decoded = json_value("[" + ",".join(texts) + "]")
        except ValueError:
            pass
        else:
            if len(decoded) == len(texts):  # (a string holding "},{" could decode as two)
                return decoded
    return [_decoded(t, ("lattice", i, "json_1best")) for i, t in enumerate(texts)]


def _decoded(value: Any, where: str | tuple) -> Any:
    """JSON held in a string (iFlytek nests it twice)."""
    if isinstance(value, str):
        try:
            return json_value(value)
        except ValueError as exc:
            raise MalformedInput(f"{place(where)} is not valid JSON: {exc}") from None
    return value


def _words(st: dict, i: int) -> str:
    """A sentence's text: the first candidate `cw[0].w` of every word, paragraph marks
    (`wp` g) dropped; entries of another shape are skipped, lists that are not lists refused."""
    words = []
    rts = st.get("rt")
    for rt in rts if type(rts) is list else items(rts, ("lattice", i, "st.rt")):
        if type(rt) is not dict:
            raise MalformedInput(f"lattice[{i}].st.rt: expected objects")
        wss = rt.get("ws")
        for ws in wss if type(wss) is list else items(wss, ("lattice", i, "st.rt.ws")):
            cw = ws.get("cw") if type(ws) is dict else None
            if cw and type(cw) is list and type(cw[0]) is dict:
                first = cw[0]
                if first.get("wp") != "g":
                    w = first.get("w")
                    words.append(w if type(w) is str else "" if w is None else str(w))
    return "".join(words)


def iflytek(doc: Any) -> list[RawCall]:
    """iFlytek 录音文件转写 (lfasr v2): `content.orderResult`, a JSON string whose
    `lattice[].json_1best` are JSON strings again; `bg` / `ed` in ms as strings; the text is
    the words `cw[0].w` joined (paragraph marks dropped); the speaker is the role number `rl`."""
    content = get(doc, "content")
    if not isinstance(content, dict) or get(content, "orderResult") is None:
        raise FormatMismatch("no content.orderResult")
    order = _decoded(get(content, "orderResult"), "content.orderResult")
    info = get(content, "orderInfo")
    call_id = label(get(info, "orderId"))
    lattice = items(get(order, "lattice"), "orderResult.lattice")
    out = []
    for i, best in enumerate(_sentences(lattice)):
        st = best.get("st") if type(best) is dict else None
        if type(st) is not dict:
            raise MalformedInput(f"lattice[{i}].json_1best: no `st` object")
        try:  # the usual shape, in one comprehension; anything else raises, and is walked with care
            words = [ws["cw"][0]["w"] for rt in st["rt"] for ws in rt["ws"] if ws["cw"][0].get("wp") != "g"]
            text = "".join(words)
        except (KeyError, TypeError, IndexError, AttributeError):
            text = _words(st, i)
        rl, bg, ed = st.get("rl"), st.get("bg"), st.get("ed")
        out.append({"speaker": rl.strip() or None if type(rl) is str else label(rl), "text": text.strip(),
                    "start_ms": int(bg) if ms_digits(bg) else ms(bg, ("lattice", i, "st.bg")),
                    "end_ms": int(ed) if ms_digits(ed) else ms(ed, ("lattice", i, "st.ed"))})
    return [RawCall("iflytek", out, call_id=call_id)]


# -- AWS -------------------------------------------------------------------------------------

def aws_transcribe(doc: Any) -> list[RawCall]:
    """Amazon Transcribe batch JSON. Times are strings of seconds. Utterances come from
    `results.audio_segments` where present; else the items are grouped: consecutive items of
    one speaker (`speaker_label`) or channel (`channel_labels`), punctuation attached."""
    results = get(doc, "results")
    if not isinstance(results, dict) or not isinstance(get(results, "items", "channel_labels", "audio_segments"), (list, dict)):
        raise FormatMismatch("no results.items / results.audio_segments")
    call_id = label(get(doc, "jobName"))
    segments = get(results, "audio_segments")
    out: list[RawUtterance] = []
    if isinstance(segments, list) and segments:
        out = fragments(segments, "audio_segments", "speaker_label", "transcript", "start_time", "end_time", 1000,
                        other_speaker="channel_label")
        return [RawCall("aws-transcribe", out, call_id=call_id)]
    channels = get(results, "channel_labels")
    streams: list[tuple[str | None, list]] = []
    if isinstance(channels, dict) and isinstance(get(channels, "channels"), list):
        for ch in get(channels, "channels"):
            streams.append((label(get(ch, "channel_label")), items(get(ch, "items"), "channel_labels.channels.items")))
    else:
        streams.append((None, items(get(results, "items"), "results.items")))
    for channel, stream in streams:
        current: RawUtterance | None = None
        for i, item in objects(stream, "items"):
            alts = items(item.get("alternatives"), ("items", i, "alternatives"))
            content = _text(get(alts[0], "content")) if alts and isinstance(alts[0], dict) else ""
            if item.get("type") == "punctuation":
                if current is not None:
                    current["text"] += content
                continue
            speaker = label(item.get("speaker_label")) or channel
            start = ms(item.get("start_time"), ("items", i, "start_time"), 1000)
            end = ms(item.get("end_time"), ("items", i, "end_time"), 1000)
            if current is None or current["speaker"] != speaker or (
                    start is not None and current["end_ms"] is not None and start - current["end_ms"] > 1500):
                current = utterance(speaker, "", start, end)
                out.append(current)
            current["text"] += content
            current["end_ms"] = end if end is not None else current["end_ms"]
    return [RawCall("aws-transcribe", out, call_id=call_id)]


_CONNECT_ROLES = {"AGENT": "agent", "CUSTOMER": "customer"}


def connect_roles(participants: dict[str | None, str]):
    """The role of a Contact Lens speaker label: its participant's role (AGENT / CUSTOMER), or
    the label itself read as one. `participants`: label -> ParticipantRole, upper case."""
    return lambda who: _CONNECT_ROLES.get(participants.get(who) or (who or "").upper())


def _set_roles(utterances: list[RawUtterance], role_of) -> None:
    """Each utterance's role, from its speaker label (`role_of` asked once per label)."""
    known: dict = {}
    for u in utterances:
        who = u["speaker"]
        if who not in known:
            known[who] = role_of(who)
        u["role"] = known[who]


def contact_lens(doc: Any) -> list[RawCall]:
    """Amazon Connect Contact Lens post-call analysis: `Transcript[]` with `ParticipantId`,
    times in ms; roles from `Participants[].ParticipantRole` (AGENT / CUSTOMER)."""
    transcript = get(doc, "Transcript")
    if not isinstance(transcript, list) or (transcript and not all(
            isinstance(t, dict) and t.get("ParticipantId") is not None for t in transcript[:3])):
        raise FormatMismatch("no Transcript[] with ParticipantId")
    roles = {label(get(p, "ParticipantId")): str(get(p, "ParticipantRole", default="")).upper()
             for p in items(get(doc, "Participants"), "Participants") if isinstance(p, dict)}
    out = fragments(transcript, "Transcript", "ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis")
    _set_roles(out, connect_roles(roles))
    meta = get(doc, "CustomerMetadata")
    return [RawCall("contact-lens", out, call_id=label(get(meta, "ContactId")))]


# -- Whisper family, Volcengine --------------------------------------------------------------

def whisper(doc: Any) -> list[RawCall]:
    """openai-whisper / OpenAI verbose_json and diarized_json / faster-whisper dumps /
    WhisperX: `segments[]` with `start` / `end` in seconds; the speaker is `speaker` where
    diarization gave one (WhisperX SPEAKER_00, diarized_json A)."""
    segments = get(doc, "segments") if isinstance(doc, dict) else doc
    if not isinstance(segments, list) or not segments or not all(
            isinstance(s, dict) and "start" in s and "text" in s for s in segments[:3]):
        raise FormatMismatch("no segments[] with start and text")
    return [RawCall("whisper", fragments(segments, "segments", "speaker", "text", "start", "end", 1000))]


_HUAWEI_ROLES = {"AGENT": "agent", "USER": "customer"}


def huawei_role(who: str | None) -> str | None:
    """AGENT / USER where role detection ran; else (speaker1, …) no role."""
    return _HUAWEI_ROLES.get((who or "").upper())


def huawei(doc: Any) -> list[RawCall]:
    """Huawei Cloud SIS 录音文件识别: `segments[]` of {start_time, end_time (ms), result: {text,
    analysis_info: {role}}}; `role` AGENT / USER where role detection ran (roles), else a
    speaker label (speaker1, …)."""
    segments = get(doc, "segments")
    if not isinstance(segments, list) or not segments or not all(
            isinstance(s, dict) and isinstance(s.get("result"), dict) and "start_time" in s for s in segments[:3]):
        raise FormatMismatch("no segments[] with start_time and a result object")
    out: list[RawUtterance] = []
    for i, seg in objects(segments, "segments"):
        result = seg.get("result")
        if not isinstance(result, dict):
            raise MalformedInput(f"segments[{i}].result: expected an object")
        info = result.get("analysis_info")
        who = label(info.get("role")) if isinstance(info, dict) else None
        out.append(utterance(who, _text(result.get("text")), ms(seg.get("start_time"), ("segments", i, "start_time")),
                             ms(seg.get("end_time"), ("segments", i, "end_time")),
                             huawei_role(who)))
    return [RawCall("huawei", out, call_id=label(get(doc, "job_id")))]


def volcengine(doc: Any) -> list[RawCall]:
    """Volcengine (豆包) file recognition: `result.utterances[]` (v1: `result[].utterances[]`),
    times in ms; the speaker is `additions.speaker` (or `channel_id`)."""
    result = get(doc, "result")
    if isinstance(result, list) and result and isinstance(result[0], dict):
        result = result[0]
    utterances = get(result, "utterances")
    if not isinstance(utterances, list):
        raise FormatMismatch("no result.utterances[]")
    out = fragments(utterances, "utterances", "channel_id", "text", "start_time", "end_time", other_speaker="speaker")
    for raw, u in zip(out, utterances, strict=True):
        additions = u.get("additions")
        if type(additions) is dict:  # diarization's speaker, where given, before the channel
            speaker = label(additions.get("speaker"))
            if speaker is not None:
                raw["speaker"] = speaker
    return [RawCall("volcengine", out, call_id=label(get(doc, "reqid")))]


# -- speech-analytics exports ----------------------------------------------------------------

_ROLE_WORDS = {"agent": "agent", "customer": "customer", "caller": "customer", "client": "customer"}
DIRECTIONS = {0: "inbound", 1: "inbound", 2: "outbound"}  # a speech-analytics export's metadata.Direction


def speech_analytics_role(sp: str | None) -> str | None:
    """Agent / Customer (Caller, Client) as the export writes `sp`."""
    return _ROLE_WORDS.get((sp or "").lower())


def speech_analytics(doc: Any) -> list[RawCall]:
    """Contact-center speech-analytics exports with word timings: `plainTextTime.verbatims[]`
    ({s, e, w, sp}), or `transcript_detailed.words[]` grouped into fragments by speaker;
    `sp` is Agent / Customer. Call id, start time and direction from `metadata`."""
    plain = get(doc, "plainTextTime")
    verbatims = get(plain, "verbatims")
    detailed = get(get(doc, "transcript_detailed"), "words")
    if not isinstance(verbatims, list) and not isinstance(detailed, list):
        raise FormatMismatch("no plainTextTime.verbatims[] or transcript_detailed.words[]")
    out: list[RawUtterance] = []
    if isinstance(verbatims, list):
        out = fragments(verbatims, "verbatims", "sp", "w", "s", "e")
        _set_roles(out, speech_analytics_role)
    else:
        current: RawUtterance | None = None
        for i, w in objects(detailed, "words"):
            sp = label(w.get("sp"))
            start, end = ms(w.get("s"), ("words", i, "s")), ms(w.get("e"), ("words", i, "e"))
            if current is None or current["speaker"] != sp:
                current = utterance(sp, "", start, end, speech_analytics_role(sp))
                out.append(current)
            current["text"] = (current["text"] + " " + _text(get(w, "w"))).strip()
            current["end_ms"] = end if end is not None else current["end_ms"]
    meta = get(doc, "metadata")
    direction = get(meta, "Direction")
    # (1 or "1"; anything else, "²" or 5,000 digits among them, says no direction)
    direction = DIRECTIONS.get(direction) if type(direction) is int else \
        DIRECTIONS.get(int(direction)) if type(direction) is str and 0 < len(direction) <= 3 and direction.isdecimal() \
        else None
    started = get(meta, "Local_audio_start_time")
    return [RawCall("speech-analytics", out, call_id=label(get(meta, "ContactID")) or label(get(doc, "mediaId")),
                    started_at=started if isinstance(started, str) else None, direction=direction)]


JSON_READERS = {
    "aliyun": aliyun,
    "aliyun-flash": aliyun_flash,
    "paraformer": paraformer,
    "tencent": tencent,
    "tencent-flash": tencent_flash,
    "iflytek": iflytek,
    "aws-transcribe": aws_transcribe,
    "contact-lens": contact_lens,
    "whisper": whisper,
    "huawei": huawei,
    "volcengine": volcengine,
    "speech-analytics": speech_analytics,
}

# The top-level keys (as raw.get spells them) of which each reader needs one in a JSON object:
# an object with none of them is not that reader's, and detection does not ask it.
TOP_KEYS = {
    "aliyun": frozenset({"Result", "result", "Sentences", "sentences"}),
    "aliyun-flash": frozenset({"flash_result"}),
    "paraformer": frozenset({"transcripts"}),
    "tencent": frozenset({"Response", "response", "Data", "data", "ResultDetail", "resultDetail", "resultdetail"}),
    "tencent-flash": frozenset({"flash_result"}),
    "iflytek": frozenset({"content"}),
    "aws-transcribe": frozenset({"results"}),
    "contact-lens": frozenset({"Transcript", "transcript"}),
    "whisper": frozenset({"segments"}),
    "huawei": frozenset({"segments"}),
    "volcengine": frozenset({"result"}),
    "speech-analytics": frozenset({"plainTextTime", "plaintexttime", "transcript_detailed"}),
}


def candidates(keys) -> list[str]:
    """The readers (in detection order) that could take a JSON object with these top-level keys."""
    return [name for name, top in TOP_KEYS.items() if not top.isdisjoint(keys)]
