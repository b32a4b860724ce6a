"""Normalize ASR text for matching: one character in, at most one character out.

The fast path is a single `str.translate` per turn. Every change is per character (full width
to half width, traditional to simplified, upper to lower case) or a deletion (spaces,
punctuation, fillers), so positions in the normalized text can be mapped back to the original
by `source_map` when a hit needs its evidence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

# Clause punctuation ends a clause; the matching text drops it, the clause view marks it.
CLAUSE_PUNCT = "。，,.!?！？；;：:…、~～\n\r\t|｜"
# The subset that ends a sentence: nothing (not even an exception) reads across it.
SENTENCE_PUNCT = "。.!?！？；;\n"
OTHER_PUNCT = (
    "\"'“”‘’「」『』()（）【】[]《》〈〉<>-—–_·•*#/\\@&%^=+`$￥"
)
# Pure fillers that ASR writes inside phrases ("我，呃，不知道"). Particles that carry meaning
# (吗, 呢, 吧, 呀) stay: "不行吗" is a question, not a refusal.
FILLERS = "呃嗯啊哎唉诶欸噢喔哦呣唔"
CLAUSE_MARK = "\x1f"

_SPACES = " \u3000\u00a0\u2002\u2003\u2009\u200a\u202f\u205f"
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF, *range(0x2060, 0x2070)]
_EMOJI_RANGES = [(0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0xFE00, 0xFE0F), (0x1F1E6, 0x1F1FF)]
_PRIVATE_USE = (0xE000, 0xF8FF)  # reserved for pinyin sound classes


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> dict[int, str]:
    """Per-character traditional -> simplified table, taken from OpenCC's t2s conversion.

    Each character is converted on its own line, so OpenCC's phrase rules cannot merge
    neighbours and every entry stays one character to one character.
    """
    import opencc

    chars = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC keeps lines
        raise RuntimeError("OpenCC changed the number of lines while building the t2s table")
    return {ord(a): b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


def _base_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    table.update(_traditional_to_simplified())
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII forms
        table[code] = chr(code - 0xFEE0)
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    for code in range(0xFF21, 0xFF3B):  # full-width capitals straight to lower case
        table[code] = chr(code - 0xFEE0 + 32)
    for ch in _SPACES + OTHER_PUNCT + FILLERS:
        table[ord(ch)] = None
    for code in _ZERO_WIDTH:
        table[code] = None
    for lo, hi in _EMOJI_RANGES:
        for code in range(lo, hi + 1):
            table[code] = None
    for code in range(_PRIVATE_USE[0], _PRIVATE_USE[1] + 1):
        table[code] = None
    # Traditional forms of fillers and punctuation must be dropped too.
    for code, simple in list(table.items()):
        if simple is not None and simple in FILLERS:
            table[code] = None
    return table


@lru_cache(maxsize=1)
def tables() -> tuple[dict[int, str | None], dict[int, str | None]]:
    """(match table, clause table). The clause table marks clause punctuation instead of
    dropping it; otherwise the two are identical."""
    match = _base_table()
    clause = dict(match)
    for ch in CLAUSE_PUNCT:
        match[ord(ch)] = None
        clause[ord(ch)] = CLAUSE_MARK
        half = unicodedata.normalize("NFKC", ch)
        if len(half) == 1:
            match.setdefault(ord(half), None)
    # Full-width clause punctuation reaches the table as full-width code points.
    for code in range(0xFF01, 0xFF5F):
        if chr(code - 0xFEE0) in CLAUSE_PUNCT:
            match[code] = None
            clause[code] = CLAUSE_MARK
        elif chr(code - 0xFEE0) in OTHER_PUNCT:
            match[code] = None
            clause[code] = None
    return match, clause


DELETE = 0xFFFFFFFF  # marks a dropped character in a lookup table
_CODEC = ("utf-32-le", "surrogatepass")  # lone surrogates in input must not crash anything


def lookup_table(mapping: dict[int, str | None]) -> np.ndarray:
    """A table indexed by code point: every code point maps to itself unless `mapping` says
    otherwise (a character, or None to drop it). Lets numpy translate a whole call at once."""
    lut = np.arange(0x110000, dtype=np.uint32)
    if mapping:
        keys = np.fromiter(mapping.keys(), dtype=np.uint32, count=len(mapping))
        vals = np.fromiter((DELETE if v is None else ord(v) for v in mapping.values()), dtype=np.uint32, count=len(mapping))
        lut[keys] = vals
    return lut


@lru_cache(maxsize=1)
def match_lut() -> np.ndarray:
    return lookup_table(tables()[0])


def codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(*_CODEC), dtype="<u4")


def decode(arr: np.ndarray) -> str:
    return arr.astype("<u4", copy=False).tobytes().decode(*_CODEC)


def normalize(text: str) -> str:
    """The matching form of a text: what both lexicon phrases and transcripts are reduced to."""
    return text.translate(tables()[0])


_MARKS = re.compile(CLAUSE_MARK + "+")
# A comma next to a pure hesitation is a pause, not the end of a clause: in "神经病，嗯，医院"
# the clause goes on. Sentence ends (。！？) always end it; particles such as 啊 are not
# hesitations ("不知道啊，你问别人吧" does end a clause).
HESITATIONS = ("呃", "嗯", "那个")
_PAUSE = re.compile(r"(?:[，,、…\s]*(?:呃|嗯|那个)[，,、…\s]*)+")


def _drop_pause_commas(text: str) -> str:
    return _PAUSE.sub(lambda m: "".join(c for c in m.group(0) if c not in "，,、…" and not c.isspace()), text)


@lru_cache(maxsize=1)
def _sentence_table() -> dict[int, str | None]:
    table = dict(tables()[1])
    for ch in CLAUSE_PUNCT:
        if ch not in SENTENCE_PUNCT:
            table[ord(ch)] = None
            for code in range(0xFF01, 0xFF5F):
                if chr(code - 0xFEE0) == ch:
                    table[code] = None
    return table


@lru_cache(maxsize=4)
def _marked_by(table_id: str) -> re.Pattern:
    """A character class of every code point a table turns into a clause mark: one C-level
    search says whether a fragment needs translating at all (most ASR text has no punctuation)."""
    table = _sentence_table() if table_id == "sentence" else tables()[1]
    chars = "".join(chr(code) for code, out in table.items() if out == CLAUSE_MARK)
    return re.compile("[" + re.escape(chars) + "]")


def sentence_end() -> re.Pattern:
    """A character class of the marks that end a sentence as written (。？！ and the like)."""
    return _marked_by("sentence")


def sentence_breaks(text: str) -> tuple[int, ...]:
    """Positions in `normalize(text)` where a sentence ends (。？！ and the like)."""
    if _marked_by("sentence").search(text) is None:
        return ()
    return _marks(text.translate(_sentence_table()))


def clause_breaks(text: str) -> tuple[int, ...]:
    """Positions in `normalize(text)` where a clause ends (punctuation stood there)."""
    if _marked_by("clause").search(text) is None:
        return ()
    if "呃" in text or "嗯" in text or "那个" in text:
        text = _drop_pause_commas(text)
    return _marks(text.translate(tables()[1]))


# Sentence-final particles: where no punctuation is written, one of these followed by more
# speech ends a clause ("不知道啊你问别人吧", "还是不行吗我帮您看看"). 啊 and 哦 are also
# fillers and dropped from the matching text; the break still stands where they were.
FINAL_PARTICLES = "吗呢吧嘛呀啦"
FINAL_FILLERS = "啊哦"


@lru_cache(maxsize=1)
def _particle_table() -> dict[int, str | None]:
    table = dict(tables()[0])
    for ch in FINAL_PARTICLES:
        table[ord(ch)] = ch + CLAUSE_MARK
    for ch in FINAL_FILLERS:
        table[ord(ch)] = CLAUSE_MARK
    return table


def particle_breaks(text: str) -> tuple[int, ...]:
    """Positions in `normalize(text)` just after a sentence-final particle (吗, 呢, 吧 ...).
    A particle inside a word (酒吧, 吗啡) is found here too; the caller checks words."""
    if _PARTICLE.search(text) is None:
        return ()
    return _marks(text.translate(_particle_table()))


_PARTICLE = re.compile(f"[{FINAL_PARTICLES}{FINAL_FILLERS}]")
_SENTENCE_MARK, _PARTICLE_MARK, _QUESTION_MARK = "\x1e", "\x1d", "\x1c"
_ANY_MARK = re.compile(f"[{_QUESTION_MARK}{_PARTICLE_MARK}{_SENTENCE_MARK}{CLAUSE_MARK}]+")


@lru_cache(maxsize=1)
def _breaks_table() -> tuple[dict[int, str | None], re.Pattern]:
    """One table for clause, sentence and particle breaks, and a character class of what it
    marks (most ASR text holds none of it and needs no translating)."""
    table = dict(tables()[1])
    sentence = _sentence_table()
    for code, out in table.items():
        if out == CLAUSE_MARK and sentence.get(code) == CLAUSE_MARK:
            table[code] = _SENTENCE_MARK
    for ch in "?？":
        table[ord(ch)] = _QUESTION_MARK
    for ch in FINAL_PARTICLES:
        table[ord(ch)] = ch + _PARTICLE_MARK
    for ch in FINAL_FILLERS:
        table[ord(ch)] = _PARTICLE_MARK
    marked = "".join(chr(code) for code, out in table.items()
                     if out and out[-1] in (CLAUSE_MARK, _SENTENCE_MARK, _PARTICLE_MARK, _QUESTION_MARK))
    return table, re.compile("[" + re.escape(marked) + "]")


@lru_cache(maxsize=65_536)  # (agents say the same sentences over and over)
def all_breaks(text: str) -> tuple[tuple[int, ...], ...]:
    """(clause_breaks, sentence_breaks, particle_breaks, question_ends) of `text` in one pass:
    positions in `normalize(text)`. A question mark ends a clause and a sentence too."""
    table, marked = _breaks_table()
    if marked.search(text) is None:
        return (), (), (), ()
    if "呃" in text or "嗯" in text or "那个" in text:
        # a comma next to a hesitation is a pause, not a clause end; sentence ends stay
        text = _drop_pause_commas(text)
    clause, sentence, particle, question = [], [], [], []
    removed = 0
    for m in _ANY_MARK.finditer(text.translate(table)):
        run = m.group()
        at = m.start() - removed
        removed += len(run)
        asks = _QUESTION_MARK in run
        if asks or CLAUSE_MARK in run or _SENTENCE_MARK in run:
            clause.append(at)
        if asks or _SENTENCE_MARK in run:
            sentence.append(at)
        if _PARTICLE_MARK in run:
            particle.append(at)
        if asks:
            question.append(at)
    return tuple(clause), tuple(sentence), tuple(particle), tuple(question)


def _marks(marked: str) -> tuple[int, ...]:
    breaks = []
    removed = 0
    for m in _MARKS.finditer(marked):
        breaks.append(m.start() - removed)
        removed += m.end() - m.start()
    return tuple(breaks)


@lru_cache(maxsize=1)
def _dropped() -> re.Pattern:
    """A character class of everything the matching form drops (spaces, punctuation, fillers)."""
    drop = sorted(code for code, out in tables()[0].items() if out is None)
    ranges, start, prev = [], drop[0], drop[0]
    for code in drop[1:]:
        if code != prev + 1:
            ranges.append((start, prev))
            start = code
        prev = code
    ranges.append((start, prev))
    return re.compile("[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                                    for a, b in ranges) + "]")


def source_map(text: str) -> list[int] | range:
    """For each character of `normalize(text)`, its index in `text`. Found from the few
    characters normalization drops (one C-level search), not character by character."""
    drops = [m.start() for m in _dropped().finditer(text)]
    if not drops:
        return range(len(text))
    kept: list[int] = []
    prev = 0
    for d in drops:
        kept.extend(range(prev, d))
        prev = d + 1
    kept.extend(range(prev, len(text)))
    return kept
