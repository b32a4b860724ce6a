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

# Clause punctuation ends a clause; the matching text drops it, the clause view marks it.
CLAUSE_PUNCT = "。，,.!?！？；;：:…、~～\n\r\t|｜"
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
    return {ord(a): b for a, b in zip(chars, converted) if a != b and len(b) == 1}


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


def clause_breaks(text: str) -> tuple[int, ...]:
    """Positions in `normalize(text)` where a clause ends (punctuation stood there)."""
    marked = _drop_pause_commas(text).translate(tables()[1])
    breaks = []
    removed = 0
    for m in _MARKS.finditer(marked):
        breaks.append(m.start() - removed)
        removed += m.end() - m.start()
    return tuple(breaks)


def source_map(text: str) -> list[int]:
    """For each character of `normalize(text)`, its index in `text`."""
    table = tables()[0]
    out = []
    for i, ch in enumerate(text):
        if table.get(ord(ch), ch) is not None:
            out.append(i)
    return out
