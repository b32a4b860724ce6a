"""The usual shape of each recognizer's JSON, read in one typed pass.

Most files a call system forwards have one shape per format: the fields under their usual
names, times as numbers, the text as a string. For that shape msgspec decodes the document
straight into typed structs (checking every type and that no time is negative as it parses,
in C), and one comprehension turns the structs into fragments. That is most of what reading a
format costs done once instead of three times (parse, project, walk field by field).

Anything else (another spelling of a key, a number written as a string where the usual shape
has a number, a missing time, a padded speaker label, an empty list) is not the usual shape:
the function answers None and the input is read by the general reader (app.ingest.projected,
app.ingest.vendors), which takes every variant and says where a broken file is broken. So a
file read here gives exactly what the general reader gives it; tests compare the two on every
sample and thousands of variants.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Annotated, Any

import msgspec

from app.ingest.raw import RawCall, RawUtterance, label, ms_digits
from app.ingest.vendors import DIRECTIONS, TOP_KEYS, connect_roles, huawei_role, speech_analytics_role

try:  # compiled at install where a C compiler is at hand (hatch_build.py); else the Python read below
    from app.ingest import _lfasr
except ImportError:
    _lfasr = None

Ms = Annotated[int, msgspec.Meta(ge=0)]  # a time in milliseconds
# A time in seconds (an integer is taken too), up to where it is still exact in milliseconds as a
# float: the general reader multiplies an integer exactly
Seconds = Annotated[float, msgspec.Meta(ge=0, le=9e12)]
Label = int | str  # a speaker label as written: a channel number or a name
Id = int | str | None
NotObject = str | int | float | bool | list | None  # a value of a key read by another reader, which refuses it


def _others(key: str) -> list[str]:
    """The other spellings app.ingest.raw.get looks under (lowerCamelCase, lower case)."""
    return [k for k in dict.fromkeys((key[:1].lower() + key[1:], key.lower())) if k != key]


# The JSON keys each struct notes only to refuse the input when one is present (see _plain),
# and those by which detection would ask another reader first (see _first).
_ABSENT: dict[type, tuple[str, ...]] = {}
_BEFORE: dict[type, tuple[str, ...]] = {}


def _struct(name: str, fields: dict[str, tuple[str, Any]], optional: tuple[str, ...] = (),
            spelled: tuple[str, ...] = (), absent: tuple[str, ...] = (), before: tuple[str, ...] = ()) -> type:
    """A struct read from JSON keys: {python name: (JSON key, type)}; `optional` fields may be
    missing (None). `spelled`: optional fields the general reader also looks for under other
    spellings (raw.get); such a spelling, or a key in `absent`, means the usual shape is not
    what this file has (_plain). `before`: keys noted for _first."""
    spec: list[tuple] = []
    rename = {}
    notes = []
    for attr, (json_key, kind) in fields.items():
        rename[attr] = json_key
        spec.append((attr, kind | None, None) if attr in optional else (attr, kind))
        if attr in spelled:
            notes.extend(_others(json_key))
    noted = {"absent": [*notes, *absent], "before": list(before)}
    for group, keys in noted.items():
        for i, json_key in enumerate(keys):
            rename[f"{group}_{i}"] = json_key
            spec.append((f"{group}_{i}", msgspec.Raw | msgspec.UnsetType, msgspec.UNSET))
    spec.sort(key=len)  # (required fields first)
    kind = msgspec.defstruct(name, spec, rename=rename, gc=False, frozen=True)
    _ABSENT[kind] = tuple(f"absent_{i}" for i in range(len(noted["absent"])))
    _BEFORE[kind] = tuple(f"before_{i}" for i in range(len(noted["before"])))
    return kind


def _plain(*objs: Any) -> bool:
    """None of these structs holds a key the usual shape has no place for (another spelling of
    an optional field, a field read only in its absence)."""
    return not any(getattr(o, a) is not msgspec.UNSET for o in objs if o is not None for a in _ABSENT[type(o)])


def _first(*objs: Any) -> bool:
    """None of these structs holds a key by which detection would ask another reader first."""
    return not any(getattr(o, a) is not msgspec.UNSET for o in objs if o is not None for a in _BEFORE[type(o)])


def _asked_before(name: str, shared: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The top-level keys by which detection asks another reader before `name`'s: those of the
    readers before it (vendors.TOP_KEYS, in detection order), and a native call's utterances.
    `shared`: keys of an earlier reader that this format's usual shape shows it refuses."""
    keys = {"utterances"}
    for other, top in TOP_KEYS.items():
        if other == name:
            break
        keys |= top
    return tuple(sorted(keys - set(shared)))


def _top(fmt: str, fields: dict[str, tuple[str, Any]], optional: tuple[str, ...] = (), spelled: tuple[str, ...] = (),
         shared: tuple[str, ...] = (), strict: bool = True) -> msgspec.json.Decoder:
    """The decoder of format `fmt`'s document: its top-level struct, noting the keys by which
    detection would ask another reader first."""
    kind = _struct(fmt.title().replace("-", ""), fields, optional, spelled, before=_asked_before(fmt, shared))
    return msgspec.json.Decoder(kind, strict=strict)


def _fragment(name: str, who: str | None, text: str, start: str, end: str, unit: Any = Ms,
              extra: dict[str, tuple[str, Any]] | None = None, **other: str) -> type:
    """A fragment's struct: `speaker` (read from the key `who`), text, start and end, all
    required; `other` speaker fields and `extra` ones, optional."""
    fields = {"text": (text, str), "start": (start, unit), "end": (end, unit)}
    if who is not None:
        fields["speaker"] = (who, Label)
    for attr, json_key in other.items():
        fields[attr] = (json_key, Label)
    fields.update(extra or {})
    return _struct(name, fields, optional=(*other, *(extra or {})))


def _labels(values) -> dict | None:
    """Each distinct speaker value's label as app.ingest.raw.label gives it; None where a value
    is text with blanks around it or none at all (the general reader's way with those differs)."""
    out = {}
    for value in set(values):
        if type(value) is str and (not value or value.strip() != value):
            return None
        out[value] = label(value)
    return out


def _utterances(entries: list, speakers: list, scale: float | None = None, role_of=None) -> list[RawUtterance] | None:
    """Fragments from structs with text / start / end, `speakers` the speaker value of each;
    `scale`: milliseconds per unit of time (None: the times are milliseconds); `role_of`: the
    role of a label, where the format names roles (set on every fragment, as _set_roles does)."""
    names = _labels(speakers)
    if names is None:
        return None
    if role_of is not None:
        roles = {value: role_of(name) for value, name in names.items()}
        return [{"speaker": names[sp], "text": e.text.strip(), "start_ms": e.start, "end_ms": e.end, "role": roles[sp]}
                for e, sp in zip(entries, speakers, strict=True)]
    if scale is None:
        return [{"speaker": names[sp], "text": e.text.strip(), "start_ms": e.start, "end_ms": e.end}
                for e, sp in zip(entries, speakers, strict=True)]
    return [{"speaker": names[sp], "text": e.text.strip(), "start_ms": round(e.start * scale), "end_ms": round(e.end * scale)}
            for e, sp in zip(entries, speakers, strict=True)]


# -- the formats ------------------------------------------------------------------------------
# Each reader takes its decoder's document and answers the raw calls, or None where the file
# is not in the usual shape.

_AliyunSentence = _fragment("AliyunSentence", None, "Text", "BeginTime", "EndTime", channel="ChannelId", speaker="SpeakerId")
_ALIYUN = _top("aliyun", {"result": ("Result", _struct("AliyunResult", {"sentences": ("Sentences", list[_AliyunSentence])})),
                          "task": ("TaskId", Id)}, optional=("task",), spelled=("task",))


def aliyun(doc: Any) -> list[RawCall] | None:
    sentences = doc.result.sentences
    if not sentences or any(s.channel is None for s in sentences[:3]) or not _plain(doc):
        return None
    out = _utterances(sentences, [s.speaker if s.speaker is not None else s.channel for s in sentences])
    return None if out is None else [RawCall("aliyun", out, call_id=label(doc.task))]


_AliyunFlashSentence = _fragment("AliyunFlashSentence", "channel_id", "text", "begin_time", "end_time")
# (the service also writes "result": "", the Alibaba reader's key too: not an object, it refuses it)
_ALIYUN_FLASH = _top("aliyun-flash", {
    "result": ("flash_result", _struct("AliyunFlashResult", {"sentences": ("sentences", list[_AliyunFlashSentence])})),
    "task": ("task_id", Id), "other": ("result", NotObject)}, optional=("task", "other"), shared=("result",))


def aliyun_flash(doc: Any) -> list[RawCall] | None:
    sentences = doc.result.sentences
    out = _utterances(sentences, [s.speaker for s in sentences])
    return None if out is None else [RawCall("aliyun-flash", out, call_id=label(doc.task))]


_ParaformerSentence = _fragment("ParaformerSentence", None, "text", "begin_time", "end_time", speaker="speaker_id")
_PARAFORMER = _top("paraformer", {"transcripts": ("transcripts", list[_struct("ParaformerTranscript", {
    "channel": ("channel_id", Label), "sentences": ("sentences", list[_ParaformerSentence])})])})


def paraformer(doc: Any) -> list[RawCall] | None:
    if not doc.transcripts:
        return None
    out: list[RawUtterance] = []
    for t in doc.transcripts:  # the channel, where diarization gave no speaker
        part = _utterances(t.sentences, [s.speaker if s.speaker is not None else t.channel for s in t.sentences])
        if part is None:
            return None
        out.extend(part)
    return [RawCall("paraformer", out)]


_TencentDetail = _fragment("TencentDetail", "SpeakerId", "FinalSentence", "StartMs", "EndMs")
_TencentData = _struct("TencentData", {"details": ("ResultDetail", list[_TencentDetail]), "task": ("TaskId", Id)},
                       optional=("task",), spelled=("task",), absent=("requestId", "requestid"))
_TENCENT = _top("tencent", {"response": ("Response", _struct("TencentResponse", {"data": ("Data", _TencentData)}))})


def tencent(doc: Any) -> list[RawCall] | None:
    task = doc.response.data
    if not _plain(task):
        return None
    out = _utterances(task.details, [d.speaker for d in task.details])
    return None if out is None else [RawCall("tencent", out, call_id=label(task.task))]


_TencentFlashSentence = _fragment("TencentFlashSentence", None, "text", "start_time", "end_time", speaker="speaker_id")
# (flash_result is aliyun-flash's key too, but there an object, here a list: that reader refuses it)
_TENCENT_FLASH = _top("tencent-flash", {"channels": ("flash_result", list[_struct("TencentFlashChannel", {
    "channel": ("channel_id", Label), "sentences": ("sentence_list", list[_TencentFlashSentence])})]),
    "request": ("request_id", Id)}, optional=("request",), shared=("flash_result",))


def tencent_flash(doc: Any) -> list[RawCall] | None:
    if not doc.channels:
        return None
    by_channel = len(doc.channels) > 1  # two channels or more: the channel is the speaker
    out: list[RawUtterance] = []
    for ch in doc.channels:
        speakers = [ch.channel] * len(ch.sentences) if by_channel else \
            [s.speaker if s.speaker is not None else ch.channel for s in ch.sentences]
        part = _utterances(ch.sentences, speakers)
        if part is None:
            return None
        out.extend(part)
    return [RawCall("tencent-flash", out, call_id=label(doc.request))]


_AwsSegment = _fragment("AwsSegment", None, "transcript", "start_time", "end_time", Seconds,
                        speaker="speaker_label", channel="channel_label")
# Times are strings of seconds ("1.234"), read as numbers: msgspec's lax mode turns such strings
# into numbers (and leaves the fields typed as text alone)
_AWS = _top("aws-transcribe", {
    "results": ("results", _struct("AwsResults", {"segments": ("audio_segments", list[_AwsSegment])})),
    "job": ("jobName", Id)}, optional=("job",), spelled=("job",), strict=False)


def aws_transcribe(doc: Any) -> list[RawCall] | None:
    segments = doc.results.segments
    if not segments or not _plain(doc):
        return None
    out = _utterances(segments, [s.speaker if s.speaker is not None else s.channel for s in segments], 1000.0)
    return None if out is None else [RawCall("aws-transcribe", out, call_id=label(doc.job))]


_ContactLensTurn = _fragment("ContactLensTurn", "ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis")
_Participant = _struct("Participant", {"id": ("ParticipantId", Label), "role": ("ParticipantRole", str)})
_CONTACT_LENS = _top("contact-lens", {
    "transcript": ("Transcript", list[_ContactLensTurn]), "participants": ("Participants", list[_Participant]),
    "meta": ("CustomerMetadata", _struct("CustomerMetadata", {"contact": ("ContactId", Id)}, optional=("contact",),
                                         spelled=("contact",)))}, optional=("meta",), spelled=("meta",))


def contact_lens(doc: Any) -> list[RawCall] | None:
    if not _plain(doc, doc.meta):
        return None
    roles = {label(p.id): p.role.upper() for p in doc.participants}
    out = _utterances(doc.transcript, [t.speaker for t in doc.transcript],
                      role_of=connect_roles(roles))
    if out is None:
        return None
    return [RawCall("contact-lens", out, call_id=label(doc.meta.contact) if doc.meta is not None else None)]


_WhisperSegment = _fragment("WhisperSegment", None, "text", "start", "end", Seconds, speaker="speaker")
_WHISPER = _top("whisper", {"segments": ("segments", list[_WhisperSegment])})


def whisper(doc: Any) -> list[RawCall] | None:
    segments = doc.segments
    if not segments:
        return None
    out = _utterances(segments, [s.speaker for s in segments], 1000.0)
    return None if out is None else [RawCall("whisper", out)]


_HuaweiResult = _struct("HuaweiResult", {"text": ("text", str), "info": ("analysis_info", _struct(
    "HuaweiAnalysis", {"role": ("role", Label)}, optional=("role",)))}, optional=("info",))
# (segments is whisper's key too; that reader refuses them where the first segment has no `start`)
_HuaweiSegment = _struct("HuaweiSegment", {"start": ("start_time", Ms), "end": ("end_time", Ms), "result": ("result", _HuaweiResult)},
                         before=("start",))
_HUAWEI = _top("huawei", {"segments": ("segments", list[_HuaweiSegment]), "job": ("job_id", Id)}, optional=("job",),
               shared=("segments",))


def huawei(doc: Any) -> list[RawCall] | None:
    segments = doc.segments
    if not segments:
        return None
    speakers = [s.result.info.role if s.result.info is not None else None for s in segments]
    names = _labels(speakers)
    if names is None:
        return None
    out: list[RawUtterance] = [{"speaker": names[v], "text": s.result.text.strip(), "start_ms": s.start, "end_ms": s.end}
                               for s, v in zip(segments, speakers, strict=True)]
    roles = {v: huawei_role(who) for v, who in names.items()}
    if any(roles.values()):
        for u, v in zip(out, speakers, strict=True):
            if roles[v] is not None:
                u["role"] = roles[v]
    return [RawCall("huawei", out, call_id=label(doc.job))]


_VolcengineUtterance = _fragment("VolcengineUtterance", None, "text", "start_time", "end_time", channel="channel_id",
                                 speaker="speaker", extra={"additions": ("additions", _struct(
                                     "VolcengineAdditions", {"speaker": ("speaker", Label)}, optional=("speaker",)))})
# (result is also how the Alibaba reader spells Result; it refuses one without Sentences)
_VolcengineResult = _struct("VolcengineResult", {"utterances": ("utterances", list[_VolcengineUtterance])},
                            before=("Sentences", "sentences"))
_VOLCENGINE = _top("volcengine", {"result": ("result", _VolcengineResult), "req": ("reqid", Id)}, optional=("req",),
                   shared=("result",))


def volcengine(doc: Any) -> list[RawCall] | None:
    utterances = doc.result.utterances
    # diarization's speaker (additions.speaker) where given, else the channel, else `speaker`
    speakers = [u.additions.speaker if u.additions is not None and u.additions.speaker is not None
                else u.channel if u.channel is not None else u.speaker for u in utterances]
    out = _utterances(utterances, speakers)
    return None if out is None else [RawCall("volcengine", out, call_id=label(doc.req))]


_Verbatim = _fragment("Verbatim", "sp", "w", "s", "e")
_Metadata = _struct("Metadata", {"contact": ("ContactID", Id), "direction": ("Direction", int),
                                 "started": ("Local_audio_start_time", str)},
                    optional=("contact", "direction", "started"), spelled=("contact", "direction", "started"))
_SPEECH_ANALYTICS = _top("speech-analytics", {
    "plain": ("plainTextTime", _struct("PlainTextTime", {"verbatims": ("verbatims", list[_Verbatim])})),
    "meta": ("metadata", _Metadata), "media": ("mediaId", Id)}, optional=("meta", "media"), spelled=("media",))


def speech_analytics(doc: Any) -> list[RawCall] | None:
    meta = doc.meta
    if not _plain(doc, meta):
        return None
    out = _utterances(doc.plain.verbatims, [v.speaker for v in doc.plain.verbatims],
                      role_of=speech_analytics_role)
    if out is None:
        return None
    contact, direction, started = (meta.contact, meta.direction, meta.started) if meta is not None else (None, None, None)
    return [RawCall("speech-analytics", out, call_id=label(contact) or label(doc.media), started_at=started,
                    direction=DIRECTIONS.get(direction) if direction is not None else None)]


# iFlytek: `content.orderResult` is JSON in a string, its `lattice[].json_1best` JSON in strings again.
_IflytekInfo = _struct("IflytekInfo", {"order_id": ("orderId", Id)}, optional=("order_id",), spelled=("order_id",))
_IFLYTEK = _top("iflytek", {"content": ("content", _struct("IflytekContent", {
    "order": ("orderResult", str), "info": ("orderInfo", _IflytekInfo)}, optional=("info",), spelled=("info",)))})
_ORDER = msgspec.json.Decoder(_struct("IflytekOrder", {"lattice": ("lattice", list[_struct(
    "IflytekLattice", {"best": ("json_1best", str)})])}))
_FIRST_CHAR, _LAST_CHAR = itemgetter(0), itemgetter(-1)
_Word = _struct("IflytekWord", {"w": ("w", str), "wp": ("wp", str)}, optional=("wp",))
_SENTENCES = msgspec.json.Decoder(list[_struct("IflytekSentence", {"st": ("st", _struct("IflytekSt", {
    "bg": ("bg", str), "ed": ("ed", str), "rl": ("rl", Label),
    "rt": ("rt", list[_struct("IflytekRt", {"ws": ("ws", list[_struct("IflytekWs", {"cw": ("cw", list[_Word])})])})])}))})])


def iflytek(doc: Any) -> list[RawCall] | None:
    content = doc.content
    if not _plain(content, content.info):
        return None
    info = content.info
    return _iflytek(content.order, label(info.order_id) if info is not None else None)


def _iflytek(order: str, call_id: str | None) -> list[RawCall] | None:
    """The usual shape's levels below orderResult, read in Python."""
    texts = [e.best for e in _ORDER.decode(order).lattice]
    try:  # each an object, as the general reader asks before it joins them (an empty one: IndexError)
        if not texts or "".join(map(_FIRST_CHAR, texts)) != "{" * len(texts) or \
                "".join(map(_LAST_CHAR, texts)) != "}" * len(texts):
            return None
    except IndexError:
        return None
    sentences = _SENTENCES.decode("[" + ",".join(texts) + "]")  # one parser call for every sentence
    if len(sentences) != len(texts):  # (a string holding "},{" could decode as two)
        return None
    try:  # every word's first candidate, paragraph marks (wp g) dropped; an empty cw is not the usual shape
        words = ["".join([ws.cw[0].w for rt in s.st.rt for ws in rt.ws if ws.cw[0].wp != "g"]) for s in sentences]
    except IndexError:
        return None
    sts = [s.st for s in sentences]
    names = _labels([st.rl for st in sts])
    starts, ends = [st.bg for st in sts], [st.ed for st in sts]
    if names is None or not all(map(ms_digits, starts)) or not all(map(ms_digits, ends)):
        return None  # (times as up to 15 digits, in ms; anything else is for the general reader to judge)
    out: list[RawUtterance] = [{"speaker": names[st.rl], "text": w.strip(), "start_ms": int(a), "end_ms": int(b)}
                               for st, w, a, b in zip(sts, words, starts, ends, strict=True)]
    return [RawCall("iflytek", out, call_id=call_id)]


# The usual shape of each JSON format (app.ingest.vendors.JSON_READERS' names): its decoder and
# its reader.
FORMATS: dict[str, tuple[msgspec.json.Decoder, Callable[[Any], list[RawCall] | None]]] = {
    "aliyun": (_ALIYUN, aliyun), "aliyun-flash": (_ALIYUN_FLASH, aliyun_flash), "paraformer": (_PARAFORMER, paraformer),
    "tencent": (_TENCENT, tencent), "tencent-flash": (_TENCENT_FLASH, tencent_flash), "iflytek": (_IFLYTEK, iflytek),
    "aws-transcribe": (_AWS, aws_transcribe), "contact-lens": (_CONTACT_LENS, contact_lens), "whisper": (_WHISPER, whisper),
    "huawei": (_HUAWEI, huawei), "volcengine": (_VOLCENGINE, volcengine),
    "speech-analytics": (_SPEECH_ANALYTICS, speech_analytics),
}
# The structs below the top that note keys for _first, where a format has some.
_BELOW: dict[str, Callable[[Any], tuple]] = {"huawei": lambda doc: tuple(doc.segments[:1]),
                                              "volcengine": lambda doc: (doc.result,)}


# The top-level keys by which detection asks another reader before iFlytek's (see _first).
_BEFORE_IFLYTEK = frozenset(_asked_before("iflytek"))


def _iflytek_compiled(data: bytes) -> tuple[list[RawCall], bool] | None:
    """An iFlytek file read by the compiled reader (app/ingest/_lfasr.c): the document, the
    orderResult string and each json_1best string in one pass; None where it is not the usual
    shape as that reader knows it."""
    found = _lfasr.document(data)
    if found is None:
        return None
    keys, order_id, out, labels = found
    if _labels(labels) is None:  # (a string label is given as it is, unless blank or padded)
        return None
    return [RawCall("iflytek", out, call_id=label(order_id))], _BEFORE_IFLYTEK.isdisjoint(keys)


def read(name: str, data: bytes) -> tuple[list[RawCall], bool] | None:
    """The raw calls of a file in format `name`'s usual shape, and whether detection would ask
    this format's reader first (no key of another format that it asks before); None: read it
    the general way."""
    if name not in FORMATS:  # (a format with no usual shape declared)
        return None
    if name == "iflytek" and _lfasr is not None:
        found = _iflytek_compiled(data)
        if found is not None:
            return found
    decoder, reader = FORMATS[name]
    try:
        doc = decoder.decode(data)
        found = reader(doc)
    except (msgspec.DecodeError, RecursionError):
        return None
    if found is None:
        return None
    below = _BELOW.get(name)
    return found, _first(doc, *below(doc)) if below is not None else _first(doc)
