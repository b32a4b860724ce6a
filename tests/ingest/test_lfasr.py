"""The compiled iFlytek reader (app/ingest/_lfasr.c) answers what the Python read of the usual
shape answers, wherever it answers at all: on the sample, on calls of every kind of content,
and on thousands of variants of each level of the triple-encoded document (other spellings,
escapes, whitespace, extra keys, odd values, broken bytes). Where it does not answer (None),
the Python read takes the file, so the tests also make sure it answers for the usual shape."""

from __future__ import annotations

import json
import random
from pathlib import Path

import msgspec
import pytest

from app.ingest import formats, typed

_lfasr = pytest.importorskip("app.ingest._lfasr", reason="the C reader is not built (no C compiler at install)")

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "formats" / "iflytek.json"


def _python(literal: bytes) -> list | None:
    """The Python read of an orderResult literal: its utterances, or None (not the usual shape)."""
    try:
        found = typed._iflytek(msgspec.json.decode(literal, type=str), None)
    except (msgspec.DecodeError, RecursionError):
        return None
    return None if found is None else found[0].utterances


def _compiled(literal: bytes) -> list | None:
    """The compiled reader's utterances of a file holding that orderResult literal, or None."""
    found = _lfasr.document(b'{"code": "000000", "content": {"orderResult": ' + literal + b"}}")
    if found is None:
        return None
    keys, order_id, utterances, labels = found
    assert keys == ["code", "content"] and order_id is None
    assert labels == {u["speaker"] for u in utterances}
    return utterances if typed._labels(labels) is not None else None


def _agree(literal: bytes) -> bool:
    """The compiled reader answers only where the Python read does, and the same; True if it answered."""
    compiled = _compiled(literal)
    if compiled is not None:
        assert compiled == _python(literal), literal[:300]
    return compiled is not None


def _sentence(rng: random.Random, i: int) -> dict:
    words = []
    for _ in range(rng.randint(0, 6)):
        w = rng.choice(["您好", "，", "瑞丰电器", " 客服 ", "再见。", "KFR-35GW", "\u3000嗯", "ok\n", "“引号”", "a\"b", "c\\d",
                        "😀", "", "\t"])
        cw = [{"w": w, "wp": rng.choice(["n", "p", "s", "g"]), "wc": "0.0000"}]
        if rng.random() < 0.2:
            cw.append({"w": "候选", "wp": "n"})
        words.append({"cw": cw, "wb": rng.randint(0, 99), "we": rng.randint(0, 99)})
    return {"st": {"bg": str(i * 1000 + rng.randint(0, 999)), "ed": str(i * 1000 + 1500), "rl": rng.choice(["1", "2"]),
                   "rt": [{"ws": words}] + ([{"ws": []}] if rng.random() < 0.1 else [])}}


def _dumps(value, rng: random.Random) -> str:
    """JSON as different writers write it: compact or spaced, escaped to ASCII or not."""
    return json.dumps(value, ensure_ascii=rng.random() < 0.3,
                      separators=rng.choice([(",", ":"), (", ", ": "), (" , ", " : ")]),
                      indent=rng.choice([None, None, None, 1]))


def _literal(sentences: list[dict], rng: random.Random, extra: bool = True) -> bytes:
    lattice = [{"json_1best": _dumps(s, rng)} for s in sentences]
    order = {"lattice": lattice}
    if extra and rng.random() < 0.5:  # what real files also hold, after or before the lattice
        order["lattice2"] = [{"lid": "0", "end": "2", "begin": "0", "json_1best": sentences[0] if sentences else {}}]
        order["label"] = {"rl_track": [{"rl": "1", "track": "L"}]}
        if rng.random() < 0.5:
            order = dict(reversed(list(order.items())))
    return _dumps(_dumps(order, rng), rng).encode()


def test_the_sample_is_read_by_the_compiled_reader(monkeypatch):
    data = SAMPLE.read_bytes()
    keys, order_id, utterances, labels = _lfasr.document(data)
    assert keys == ["code", "descInfo", "content"] and order_id == "DKHJQ2026112700001" and labels == {"1", "2"}
    compiled = typed.read("iflytek", data)
    monkeypatch.setattr(typed, "_lfasr", None)
    assert compiled == typed.read("iflytek", data) and compiled[0][0].utterances == utterances


def test_calls_of_every_kind_of_content_are_read_alike():
    rng = random.Random(1)
    answered = 0
    for _ in range(1500):
        answered += _agree(_literal([_sentence(rng, i) for i in range(rng.randint(1, 8))], rng))
    assert answered >= 1400  # (all but the few with a number or shape it leaves to Python)


def _mutated(text: str, rng: random.Random) -> str:
    """One JSON text changed at a random place: a character dropped, doubled or swapped for a
    piece of JSON syntax, escape or odd value."""
    pieces = ['"', "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "0", "1e5", "-", ".", "null", "true", '"rl":1',
              '"st":{}', '"cw":[]', '"wp":null', '"bg":"１２"', '"ed":" 1"', '"w":3', "\\u00e9", "\\ud800", "\\ud83d\\ude00",
              "\\/", "\\n", "\x01", "9" * 20, '"x":[[[[1]]]]', '"x":-0.5', '"x":01', "\u3000", "é"]
    i = rng.randrange(len(text) + 1)
    roll = rng.random()
    if roll < 0.3:
        return text[:i] + text[i + 1:]
    if roll < 0.45:
        return text[:i] + text[i:i + 1] * 2 + text[i + 1:]
    return text[:i] + rng.choice(pieces) + text[i:]


def test_variants_at_every_level_are_read_alike_or_left_to_python():
    rng = random.Random(2)
    answered = 0
    for n in range(6000):
        sentences = [_sentence(rng, i) for i in range(rng.randint(1, 4))]
        level = n % 3
        best = [_dumps(s, rng) for s in sentences]
        if level == 2:  # a sentence's own JSON
            k = rng.randrange(len(best))
            best[k] = _mutated(best[k], rng)
        order = _dumps({"lattice": [{"json_1best": b} for b in best]}, rng)
        if level == 1:  # the lattice around the sentences
            order = _mutated(order, rng)
        literal = _dumps(order, rng)
        if level == 0:  # the string in the file
            literal = _mutated(literal, rng)
        answered += _agree(literal.encode("utf-8", "surrogatepass"))
    assert 1000 < answered < 6000  # both outcomes were exercised


def _deep(n: int) -> list:
    value: list = []
    for _ in range(n):
        value = [value]
    return value


def test_broken_bytes_and_odd_values_are_never_read():
    good = _literal([_sentence(random.Random(3), 0)], random.Random(3), extra=False)
    assert _compiled(good) is not None
    for broken in [good[:-1], good[1:], good + b" x", b"", b'"', b'""', b"null", b"12", good.replace(b"\\", b"", 1),
                   good[:20] + b"\xff" + good[20:], good[:20] + b"\xed\xa0\x80" + good[20:], good[:20] + b"\xc0\xaf" + good[20:],
                   good[:20] + b"\x01" + good[20:]]:
        assert _compiled(broken) is None, broken[:60]
    for odd in [{"st": {"bg": "1", "ed": "2", "rl": 1, "rt": []}},  # rl a number: Python's to read
                {"st": {"bg": "1", "ed": "2", "rl": "1", "rt": [{"ws": [{"cw": []}]}]}},  # no first candidate
                {"st": {"bg": "1e3", "ed": "2", "rl": "1", "rt": []}},
                {"st": {"bg": "1", "ed": "9" * 16, "rl": "1", "rt": []}},
                {"st": {"bg": "1", "ed": "2", "rl": "1"}},
                {"st": {"bg": "1", "ed": "2", "rl": "1", "rt": [], "x": 1e400}},
                {"st": {"bg": "1", "ed": "2", "rl": "1", "rt": [], "x": _deep(80)}}]:
        literal = json.dumps(json.dumps({"lattice": [{"json_1best": json.dumps(odd)}]})).encode()
        assert _compiled(literal) is None, odd
        _agree(literal)
    twice = json.dumps(json.dumps({"lattice": []})).encode().replace(b"[]", b'[], \\"lattice\\": []')
    assert _compiled(twice) is None  # a key read here given twice


def _document_variants(rng: random.Random):
    """Whole files: the sample and generated calls, changed at the top and in orderInfo."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    changes = [
        lambda d: d.update(Result={"Sentences": []}),  # a key of a format detection asks first
        lambda d: d.update(utterances=[]),
        lambda d: d.update(transcripts=1),
        lambda d: d.update(extra={"a": [1, 2.5, None, True, "é"]}),
        lambda d: d.update(big=1e300),
        lambda d: d["content"].update(orderInfo=None),
        lambda d: d["content"].update(orderInfo={"orderId": 12345}),
        lambda d: d["content"].update(orderInfo={"orderId": -7}),
        lambda d: d["content"].update(orderInfo={"orderId": 10 ** 19}),
        lambda d: d["content"].update(orderInfo={"orderId": 1.5}),
        lambda d: d["content"].update(orderInfo={"orderId": True}),
        lambda d: d["content"].update(orderInfo={"orderId": "  "}),
        lambda d: d["content"].update(orderInfo={"orderId": None}),
        lambda d: d["content"].update(orderInfo={"orderid": "x"}),
        lambda d: d["content"].update(orderinfo={"orderId": "x"}),
        lambda d: d["content"].update(orderInfo=[1]),
        lambda d: d["content"].update(orderResult=5),
        lambda d: d["content"].pop("orderResult"),
        lambda d: d.update(content=[]),
        lambda d: d.pop("content"),
    ]
    for n in range(1500):
        doc = sample if n % 2 else json.loads(json.dumps({
            "code": "000000", "content": {"orderInfo": {"orderId": f"o{n}"},
                                          "orderResult": json.dumps({"lattice": [{"json_1best": _dumps(_sentence(rng, i), rng)}
                                                                                 for i in range(rng.randint(1, 4))]})}}))
        doc = json.loads(json.dumps(doc))
        for change in rng.sample(changes, rng.choice((0, 1, 1, 2))):
            try:
                change(doc)
            except (AttributeError, KeyError, TypeError):  # (content already gone or made a list)
                pass
        text = _dumps(doc, rng)
        if rng.random() < 0.3:
            text = _mutated(text, rng)
        yield text.encode("utf-8", "surrogatepass")
    good = SAMPLE.read_bytes()
    yield good.replace(b'"content"', b'"content": {}, "content"', 1)  # given twice
    yield good.replace(b'"orderResult"', b'"orderResult": "{}", "orderResult"', 1)
    yield good[:10] + b"\xff" + good[10:]
    yield b"  " + good + b"\n"


def test_whole_files_read_alike_with_and_without_the_compiled_reader(monkeypatch):
    variants = list(_document_variants(random.Random(5)))
    compiled = [typed.read("iflytek", v) for v in variants]
    answered = sum(_lfasr.document(v) is not None for v in variants)
    monkeypatch.setattr(typed, "_lfasr", None)
    for v, c in zip(variants, compiled, strict=True):
        assert c == typed.read("iflytek", v), v[:200]
    assert 300 < answered < len(variants)


def test_a_file_reads_the_same_with_and_without_the_compiled_reader(monkeypatch):
    data = SAMPLE.read_bytes()
    with_c = formats.read_body(data, hints=formats.Hints(agent="1"))
    monkeypatch.setattr(typed, "_lfasr", None)
    assert formats.read_body(data, hints=formats.Hints(agent="1")) == with_c
