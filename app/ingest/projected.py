"""Reading a recognizer's JSON without building what its reader never looks at.

A recognizer's file holds much that callqa does not read: word timings (often more bytes than
the sentences), confidences, emotions, speech rates. Parsed into Python objects, every one of
them costs time before a reader even starts. Here each reader declares the keys it reads, level
by level (`READS`), and msgspec parses the file straight into those keys only, skipping the
rest without making objects of it. The reader then runs, unchanged, on that projection of the
document. Its values are what the full parse gives for those keys, and every other key is one
the reader never reads, so the reader returns what it returns on the whole document.

Whatever the projection cannot hold as declared (a list where an object was declared, an
object in place of a list of objects, a number out of range, a lone surrogate, malformed JSON)
sends the input to the full parse and the readers as before, so every error is the reader's
own and says where. Detection follows the readers' order, asking only readers whose top-level
keys the object has, exactly as app.ingest.formats does on the full document.
"""

from __future__ import annotations

from typing import Any, TypedDict, Union

import msgspec

from app.ingest import typed
from app.ingest.raw import FormatMismatch, RawCall
from app.ingest.vendors import JSON_READERS, candidates


def _spellings(name: str) -> list[str]:
    """A key as raw.get / raw.key look for it: as written, lowerCamelCase, lower case."""
    return list(dict.fromkeys((name, name[:1].lower() + name[1:], name.lower())))


def _keys(name: str, *plain: str, **nested: Any) -> type:
    """The keys a reader reads in one JSON object: `plain` ones taken whole, `nested` ones
    (an object or a list of objects) read further. Every spelling raw.get tries is kept."""
    fields: dict[str, Any] = {}
    for key in plain:
        fields.update(dict.fromkeys(_spellings(key), Any))
    for key, kind in nested.items():
        fields.update(dict.fromkeys(_spellings(key), kind))
    return TypedDict(name, fields, total=False)  # type: ignore[operator]


_SCALAR = (str, int, float, bool, None)


def _obj(kind: type, items: Any = msgspec.Raw) -> Any:
    """An object read further, or any other value as it is; a list's items are left unparsed
    (`items`: unless the reader reads them): these readers only ask whether it is an object."""
    return Union[(kind, list[items], *_SCALAR)]  # noqa: UP007 (a union made at run time)


def _many(kind: type) -> Any:
    """A list of objects, each read further, or a value that is not a list, as it is."""
    return Union[(list[kind], *_SCALAR)]  # noqa: UP007


# A list or an object whose entries are left unparsed: for a reader that asks only which it is.
_UNREAD = Union[(list[msgspec.Raw], dict[str, msgspec.Raw], *_SCALAR)]  # noqa: UP007


def _aws_segments(doc: dict) -> bool:
    """Amazon Transcribe: the items (one per word) are read only where there are no audio
    segments; the projection leaves them unparsed, so such a file is read the full way."""
    results = doc.get("results")
    return isinstance(results, dict) and isinstance(results.get("audio_segments"), list) and bool(results["audio_segments"])


# Readers whose projection holds only some files: the rest are read the full way.
_ONLY_IF = {"aws-transcribe": _aws_segments}

_ENTRY_ALIYUN = _keys("AliyunSentence", "BeginTime", "EndTime", "Text", "ChannelId", "SpeakerId")
_ENTRY_TENCENT = _keys("TencentDetail", "FinalSentence", "WrittenText", "StartMs", "EndMs", "SpeakerId")
_TENCENT_TASK = _keys("TencentTask", "TaskId", "requestId", ResultDetail=_many(_ENTRY_TENCENT))
_VOLCENGINE_RESULT = _keys("VolcengineResult", utterances=_many(_keys(
    "VolcengineUtterance", "channel_id", "speaker", "text", "start_time", "end_time",
    additions=_obj(_keys("VolcengineAdditions", "speaker")))))

# What each reader in app.ingest.vendors reads, from the top of the document down.
READS: dict[str, type] = {
    "aliyun": _keys("Aliyun", "TaskId", Result=_obj(_keys("AliyunResult", Sentences=_many(_ENTRY_ALIYUN))),
                    Sentences=_many(_ENTRY_ALIYUN)),
    "aliyun-flash": _keys("AliyunFlash", "task_id", flash_result=_obj(_keys("AliyunFlashResult", sentences=_many(
        _keys("AliyunFlashSentence", "channel_id", "text", "begin_time", "end_time"))))),
    "paraformer": _keys("Paraformer", transcripts=_many(_keys("ParaformerTranscript", "channel_id", sentences=_many(
        _keys("ParaformerSentence", "speaker_id", "text", "begin_time", "end_time"))))),
    "tencent": _keys("Tencent", "TaskId", "requestId", ResultDetail=_many(_ENTRY_TENCENT), Data=_obj(_TENCENT_TASK),
                     Response=_obj(_keys("TencentResponse", "TaskId", "requestId", ResultDetail=_many(_ENTRY_TENCENT),
                                         Data=_obj(_TENCENT_TASK)))),
    "tencent-flash": _keys("TencentFlash", "request_id", flash_result=_many(_keys("TencentFlashChannel", "channel_id",
        sentence_list=_many(_keys("TencentFlashSentence", "text", "start_time", "end_time", "speaker_id"))))),
    "iflytek": _keys("Iflytek", content=_obj(_keys("IflytekContent", "orderResult", "orderInfo"))),
    "aws-transcribe": _keys("Aws", "jobName", results=_obj(_keys(
        "AwsResults", items=_UNREAD, channel_labels=_UNREAD, audio_segments=_many(
            _keys("AwsSegment", "speaker_label", "channel_label", "transcript", "start_time", "end_time"))))),
    "contact-lens": _keys("ContactLens", "Participants", "CustomerMetadata", Transcript=_many(
        _keys("ContactLensTurn", "ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis"))),
    "whisper": _keys("Whisper", segments=_many(_keys("WhisperSegment", "start", "end", "text", "speaker"))),
    "huawei": _keys("Huawei", "job_id", segments=_many(_keys("HuaweiSegment", "start_time", "end_time", result=_obj(_keys(
        "HuaweiResult", "text", analysis_info=_obj(_keys("HuaweiAnalysis", "role"))))))),
    "volcengine": _keys("Volcengine", "reqid", result=_obj(_VOLCENGINE_RESULT, items=_VOLCENGINE_RESULT)),  # v1: result[0]
    "speech-analytics": _keys("SpeechAnalytics", "metadata", "mediaId", "transcript_detailed", plainTextTime=_obj(_keys(
        "SpeechAnalyticsPlain", verbatims=_many(_keys("Verbatim", "s", "e", "w", "sp"))))),
}
assert list(READS) == list(JSON_READERS), "what each reader reads, for every reader, in the readers' order"

_DECODERS = {name: msgspec.json.Decoder(kind) for name, kind in READS.items()}
# The top-level keys of an object, their values skipped (not parsed into anything).
_PROBE = msgspec.json.Decoder(dict[str, msgspec.Raw])


# The format of the last input read in its usual shape and asked first by detection: JSON
# Lines and batches hold one format line after line, so it is tried before the probe of
# the top-level keys. (Shared by threads; a stale value costs one failed try, never a wrong read.)
_last: str | None = None


def read(data: bytes, fmt: str | None = None) -> tuple[str, list[RawCall]] | None:
    """(format, raw calls) of a JSON object read in its format's usual shape (app.ingest.typed)
    or else through its projection; `fmt`: that format, else the one detection picks. None:
    read it the full way (app.ingest.formats), which also says why a file is not one of the
    formats or where it is broken."""
    global _last
    tried: dict[str, tuple | None] = {}  # (a typed read already tried, not tried twice)
    if fmt is not None:
        names = [fmt]
    else:
        last = _last
        if last is not None:
            tried[last] = found = typed.read(last, data)
            if found is not None and found[1]:  # (only where detection would ask that reader first)
                return last, found[0]
        try:
            keys = _PROBE.decode(data).keys()
        except (msgspec.DecodeError, RecursionError):
            return None
        if "utterances" in keys:  # a native call is read as one
            return None
        names = candidates(keys)
    for name in names:
        found = tried[name] if name in tried else typed.read(name, data)  # the format's usual shape, in one typed pass
        if found is not None:
            if fmt is None:
                _last = name if found[1] else None
            return name, found[0]
        try:
            doc = _DECODERS[name].decode(data)
        except (msgspec.DecodeError, RecursionError):
            return None
        if name in _ONLY_IF and not _ONLY_IF[name](doc):
            return None
        try:
            return name, JSON_READERS[name](doc)
        except FormatMismatch:
            if fmt is not None:
                return None
    return None
