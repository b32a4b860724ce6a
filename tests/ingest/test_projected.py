"""The projected read (only the keys the readers read, app.ingest.projected), and the typed read
of each format's usual shape (app.ingest.typed), give what the full parse gives: the same format
and raw calls, or the same error, on every sample file and on thousands of broken and odd
variants of them."""

from __future__ import annotations

import copy
import inspect
import json
import random
import re
from pathlib import Path

import pytest

from app.errors import InputError
from app.ingest import formats, projected, typed, vendors

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "formats"
JSON_SAMPLES = sorted(p for p in SAMPLES.iterdir() if p.suffix == ".json" and p.name != "native.json")


def _other_layouts() -> dict[str, dict]:
    """Layouts the samples do not show: word lists grouped into fragments."""
    native = json.loads((SAMPLES / "native.json").read_text(encoding="utf-8"))["utterances"]
    words = [{"s": u["start_ms"], "e": u["end_ms"], "w": u["text"], "sp": u["speaker"].capitalize()} for u in native]
    items = [{"type": "pronunciation", "start_time": f"{u['start_ms'] / 1000:.3f}", "end_time": f"{u['end_ms'] / 1000:.3f}",
              "alternatives": [{"content": u["text"]}]} for u in native]
    return {
        "speech-analytics-words": {"metadata": {"ContactID": "c1", "Direction": 2}, "transcript_detailed": {"words": words}},
        "aws-transcribe-channels": {"jobName": "j1", "results": {"channel_labels": {"channels": [
            {"channel_label": f"ch_{c}", "items": [i for i, u in zip(items, native, strict=True) if (u["speaker"] == "agent") == (c == 0)]}
            for c in (0, 1)]}, "items": []}},
    }


DOCS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in JSON_SAMPLES} | _other_layouts()
ODD_VALUES = [None, "", "12", "  7 ", "abc", 1.5, -3, 0, True, [], {}, [1, "x"], {"k": [1]}, "１２", "speaker1", "AGENT"]
# Every quoted name in the readers' source: keys a mutant may gain (taken from the readers
# themselves, not from the projection's declarations, which are what is under test).
READ_NAMES = sorted(set(re.findall(r'"([A-Za-z][A-Za-z0-9_]*)"', (Path(vendors.__file__)).read_text(encoding="utf-8"))))


def _outcome(data: bytes, fmt: str | None, projection: bool, monkeypatch, usual: bool = True) -> tuple:
    """What detection makes of the input: read the full way (`projection` False), or through the
    projection, with (`usual`) or without the usual shape's typed read (app.ingest.typed)."""
    with monkeypatch.context() as m:
        if not projection:
            m.setattr(projected, "read", lambda data, fmt=None: None)
        if not usual:
            m.setattr(typed, "read", lambda name, data: None)
        try:
            name, raws = formats.detect(data, fmt)
        except InputError as exc:
            return ("refused", type(exc).__name__, str(exc))
    return ("read", name, raws)


def _places(doc, path=()):
    """Every (container, key) in the document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield doc, k
            yield from _places(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield doc, i
            yield from _places(v, (*path, i))


def _mutants(doc, rng: random.Random, n: int):
    for _ in range(n):
        d = copy.deepcopy(doc)
        for _ in range(rng.choice((1, 1, 2, 3))):
            places = list(_places(d))
            if not places:
                break
            box, key = rng.choice(places)
            roll = rng.random()
            if roll < 0.3 and isinstance(box, dict):  # a key some reader reads, with a value from near by
                near = [v for v in box.values() if not isinstance(v, (dict, list))] or ODD_VALUES
                box[rng.choice(READ_NAMES)] = copy.deepcopy(rng.choice(near + ODD_VALUES))
            elif roll < 0.45:
                box[key] = copy.deepcopy(rng.choice(ODD_VALUES))
            elif roll < 0.6 and isinstance(box, dict):
                del box[key]
            elif roll < 0.75 and isinstance(box, dict) and isinstance(key, str):
                value = box.pop(key)
                box[rng.choice((key.lower(), key[:1].lower() + key[1:], key.upper()))] = value
            elif roll < 0.85:
                box[key] = [box[key]]
            elif isinstance(box, dict):
                box["words"] = [{"text": "字", "start_time": 1, "end_time": 2}] * 3
                box[key] = box[key]
        yield d


@pytest.mark.parametrize("sample", sorted(DOCS))
def test_the_projection_reads_what_the_whole_document_reads(sample, monkeypatch):
    doc = DOCS[sample]
    rng = random.Random(sample)
    checked = 0
    for variant in [doc, *_mutants(doc, rng, 250)]:
        data = json.dumps(variant, ensure_ascii=False).encode()
        for fmt in (None, formats.detect(json.dumps(doc).encode())[0]):
            whole = _outcome(data, fmt, False, monkeypatch)
            assert _outcome(data, fmt, True, monkeypatch) == whole, (fmt, data[:300])
            assert _outcome(data, fmt, True, monkeypatch, usual=False) == whole, (fmt, data[:300])
            checked += 1
    assert checked == 502


def _objects(doc, path=()):
    """The path of every object in the document, but of lists only the first two items."""
    if isinstance(doc, dict):
        yield path
        for k, v in doc.items():
            yield from _objects(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:2]):
            yield from _objects(v, (*path, i))


@pytest.mark.parametrize("sample", sorted(DOCS))
def test_every_key_a_reader_reads_is_projected(sample, monkeypatch):
    # Each object of the sample gains, in turn, each name the readers' source mentions: the
    # projection must keep every key a reader reads, wherever it reads it.
    doc = DOCS[sample]
    for path in _objects(doc):
        for name in READ_NAMES:
            for value in ("x1", 7):
                variant = copy.deepcopy(doc)
                box = variant
                for step in path:
                    box = box[step]
                if name in box:
                    continue
                box[name] = value
                data = json.dumps(variant, ensure_ascii=False).encode()
                assert _outcome(data, None, True, monkeypatch) == _outcome(data, None, False, monkeypatch), (path, name, value)


@pytest.mark.parametrize("sample", sorted(DOCS))
def test_every_key_a_reader_reads_instead_of_another_is_projected(sample, monkeypatch):
    # Each key of each object removed, or renamed to each name the sample's reader mentions
    # (over a key of that name, if any): a field read only where another is missing
    # (SpeakerId before ChannelId, WrittenText where FinalSentence is missing, utterances'
    # `speaker` where `additions` has none) is read then, and must be projected too.
    doc = DOCS[sample]
    reader = vendors.JSON_READERS[formats.detect(json.dumps(doc).encode())[0]]
    names = sorted(set(re.findall(r'"([A-Za-z][A-Za-z0-9_]*)"', inspect.getsource(reader))))
    for path in _objects(doc):
        box = doc
        for step in path:
            box = box[step]
        for key in list(box):
            for name in [*names, None]:
                if name == key:
                    continue
                variant = copy.deepcopy(doc)
                target = variant
                for step in path:
                    target = target[step]
                value = target.pop(key)  # (name None: the key only removed)
                if name is not None:
                    target[name] = value
                data = json.dumps(variant, ensure_ascii=False).encode()
                assert _outcome(data, None, True, monkeypatch) == _outcome(data, None, False, monkeypatch), (path, key, name)


def test_the_projection_is_taken_for_the_usual_files():
    # (so that the test above compares two ways of reading, not the same one twice)
    left = [p.name for p in JSON_SAMPLES if projected.read(p.read_bytes()) is None]
    # a bare array of sentences is not an object; AWS items (one per word) are read only without segments
    assert left == ["aliyun-sentences.json", "aws-transcribe-items.json"]


def test_word_timings_are_not_read():
    seg = {"text": "您好瑞丰电器", "start_time": 0, "end_time": 900, "additions": {"speaker": "1"},
           "words": [{"text": "您", "start_time": 0, "end_time": 100, "confidence": 0.9}] * 50}
    data = json.dumps({"result": {"utterances": [seg, {**seg, "additions": {"speaker": "2"}}]}}, ensure_ascii=False).encode()
    name, (raw,) = projected.read(data)
    assert name == "volcengine" and raw.utterances[0]["text"] == "您好瑞丰电器"
    assert all(set(u) <= {"speaker", "text", "start_ms", "end_ms", "role"} for u in raw.utterances)


USUAL = [p for p in JSON_SAMPLES if p.name not in ("aliyun-camel.json", "aliyun-sentences.json", "aws-transcribe-items.json")]


@pytest.mark.parametrize("sample", USUAL, ids=lambda p: p.name)
def test_the_usual_shape_is_read_typed(sample):
    # (so that the comparisons above cover the typed read too); the others are read the general way
    data = sample.read_bytes()
    name, raws = formats.detect(data)
    assert typed.read(name, data) == (raws, True)


@pytest.mark.parametrize("sample", ["aliyun-camel.json", "aliyun-sentences.json", "aws-transcribe-items.json"])
def test_other_shapes_are_left_to_the_general_reader(sample):
    data = (SAMPLES / sample).read_bytes()
    assert typed.read(formats.detect(data)[0], data) is None


def _lattice(doc: dict, change) -> None:
    """Change an iFlytek document's lattice (inside the orderResult string)."""
    order = json.loads(doc["content"]["orderResult"])
    change(order["lattice"])
    doc["content"]["orderResult"] = json.dumps(order, ensure_ascii=False)


def _edit(sample: str, change) -> bytes:
    doc = copy.deepcopy(DOCS[sample])
    change(doc)
    return json.dumps(doc, ensure_ascii=False).encode()


@pytest.mark.parametrize("data", [
    # another spelling of an optional field: the general reader takes it, so the typed read must not miss it
    _edit("aliyun.json", lambda d: d.__setitem__("taskId", d.pop("TaskId"))),
    _edit("tencent.json", lambda d: d["Response"]["Data"].__setitem__("requestId", "r-9")),
    _edit("speech-analytics.json", lambda d: d["metadata"].__setitem__("direction", d["metadata"].pop("Direction"))),
    # a padded or blank speaker label, a channel given only after diarization's empty label
    _edit("aliyun.json", lambda d: d["Result"]["Sentences"][1].__setitem__("SpeakerId", " 2 ")),
    _edit("aliyun.json", lambda d: d["Result"]["Sentences"][1].__setitem__("SpeakerId", "")),
    _edit("volcengine.json", lambda d: d["result"]["utterances"][0]["additions"].__setitem__("speaker", "")),
    # times as the usual shape does not write them
    _edit("whisperx.json", lambda d: d["segments"][0].__setitem__("start", "1.5")),
    _edit("aws-transcribe.json", lambda d: d["results"]["audio_segments"][0].__setitem__("start_time", "Infinity")),
    _edit("aws-transcribe.json", lambda d: d["results"]["audio_segments"][0].__setitem__("start_time", " 1.5")),
    _edit("huawei.json", lambda d: d["segments"][0].__setitem__("start_time", 1.0)),
    _edit("whisperx.json", lambda d: d["segments"][0].__setitem__("start", 2**53 + 1)),  # (exact only as an integer)
    # iFlytek sentences that are not one object each: empty, two in one string
    _edit("iflytek.json", lambda d: _lattice(d, lambda lat: lat[1].__setitem__("json_1best", ""))),
    _edit("iflytek.json", lambda d: _lattice(d, lambda lat: lat.__setitem__(
        slice(0, 2), [{"json_1best": lat[0]["json_1best"] + "," + lat[1]["json_1best"]}, {"json_1best": "{}"}]))),
], ids=lambda d: d[:40].decode(errors="replace"))
def test_what_the_usual_shape_does_not_hold_is_read_the_general_way(data, monkeypatch):
    assert all(typed.read(name, data) is None for name in typed.FORMATS)
    assert _outcome(data, None, True, monkeypatch) == _outcome(data, None, False, monkeypatch)


@pytest.mark.parametrize("sample,where", [("whisperx.json", ("segments", 0, "start")),
                                          ("aws-transcribe.json", ("results", "audio_segments", 0, "start_time"))])
@pytest.mark.parametrize("value", [1e308, "1e308"])
def test_a_time_too_large_for_milliseconds_is_refused_not_a_crash(sample, where, value, monkeypatch):
    doc = copy.deepcopy(DOCS[sample])
    box = doc
    for step in where[:-1]:
        box = box[step]
    box[where[-1]] = value
    data = json.dumps(doc).encode()
    for projection in (True, False):
        outcome = _outcome(data, None, projection, monkeypatch)
        assert outcome[0] == "refused" and "a time too large" in outcome[2], outcome


@pytest.mark.parametrize("after", sorted(DOCS))
def test_the_format_read_last_is_tried_first_without_changing_what_is_read(after, monkeypatch):
    # JSON Lines hold one format line after line, so the format of the last line is tried
    # before the top-level keys are probed: whatever came before, the reading is the same.
    data = json.dumps(DOCS[after], ensure_ascii=False).encode()
    whole = _outcome(data, None, False, monkeypatch)
    for before in sorted(DOCS):
        monkeypatch.setattr(projected, "_last", None)
        projected.read(json.dumps(DOCS[before], ensure_ascii=False).encode())
        assert _outcome(data, None, True, monkeypatch) == whole, (before, after)
    for name in typed.FORMATS:  # (also a format no file has set)
        monkeypatch.setattr(projected, "_last", name)
        assert _outcome(data, None, True, monkeypatch) == whole, (name, after)


def test_a_key_another_reader_is_asked_by_first_keeps_the_format_from_being_tried_first():
    # An Alibaba flash file whose `result` is an object: the Alibaba reader is asked first
    doc = copy.deepcopy(DOCS["aliyun-flash.json"])
    assert typed.read("aliyun-flash", json.dumps(doc).encode())[1]
    doc["result"] = {"Sentences": []}
    assert typed.read("aliyun-flash", json.dumps(doc).encode()) is None
    # a Huawei file whose first segment has `start` (Whisper's) and a Volcengine result with Sentences (Alibaba's)
    doc = copy.deepcopy(DOCS["huawei.json"])
    doc["segments"][0]["start"] = 0
    assert typed.read("huawei", json.dumps(doc).encode())[1] is False
    doc = copy.deepcopy(DOCS["volcengine.json"])
    doc["result"]["sentences"] = []
    assert typed.read("volcengine", json.dumps(doc).encode())[1] is False
    doc = copy.deepcopy(DOCS["contact-lens.json"])
    doc["content"] = 1  # (iFlytek's key)
    assert typed.read("contact-lens", json.dumps(doc).encode())[1] is False
