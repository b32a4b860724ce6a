"""Pinyin sound classes: each Chinese character becomes one code point standing for how it sounds.

Two characters that sound the same (再 / 在, 知 / 智: tones are ignored) get the same class, and
the configured near-sound pairs (z/zh, n/ng, l/n ...) are folded together. The encoding keeps
one character per character, so a match in the sound string is a match at the same positions
in the normalized text, and one Aho-Corasick scan finds exact and same-sound hits at once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s", "y", "w")

# name of a near-sound pair -> (part, from, to): the `from` sound is folded into `to`
FUZZY_PAIRS: dict[str, tuple[str, str, str]] = {
    "z/zh": ("initial", "zh", "z"),
    "c/ch": ("initial", "ch", "c"),
    "s/sh": ("initial", "sh", "s"),
    "l/n": ("initial", "n", "l"),
    "f/h": ("initial", "h", "f"),
    "r/l": ("initial", "r", "l"),
    # j/q/x before i and ü sound like z/c/s to many southern speakers (尖团 confusion): 机 ~ 资
    "j/z": ("initial", "j", "z"),
    "q/c": ("initial", "q", "c"),
    "x/s": ("initial", "x", "s"),
    "an/ang": ("final", "ang", "an"),
    "en/eng": ("final", "eng", "en"),
    "in/ing": ("final", "ing", "in"),
    "ian/iang": ("final", "iang", "ian"),
    "uan/uang": ("final", "uang", "uan"),
}
# "n/ng" is shorthand for every final n / ng pair.
FUZZY_ALIASES = {"n/ng": ("an/ang", "en/eng", "in/ing", "ian/iang", "uan/uang")}
DEFAULT_FUZZY = ("z/zh", "c/ch", "s/sh", "l/n", "f/h", "n/ng")

_CLASS_BASE = 0xE000


def expand_pairs(pairs: Iterable[str]) -> tuple[str, ...]:
    """Canonical, sorted pair names; raises KeyError naming the first unknown pair."""
    out: set[str] = set()
    for pair in pairs:
        key = pair.replace(" ", "").lower()
        if key in FUZZY_ALIASES:
            out.update(FUZZY_ALIASES[key])
        elif key in FUZZY_PAIRS:
            out.add(key)
        else:
            a, _, b = key.partition("/")
            if f"{b}/{a}" in FUZZY_PAIRS:
                out.add(f"{b}/{a}")
            elif f"{b}/{a}" in FUZZY_ALIASES:
                out.update(FUZZY_ALIASES[f"{b}/{a}"])
            else:
                raise KeyError(pair)
    return tuple(sorted(out))


def valid_pair_names() -> list[str]:
    return sorted([*FUZZY_PAIRS, *FUZZY_ALIASES])


def _toneless(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold_syllable(syllable: str, pairs: tuple[str, ...]) -> str:
    initial = next((i for i in INITIALS if syllable.startswith(i)), "")
    final = syllable[len(initial):]
    for name in pairs:
        part, src, dst = FUZZY_PAIRS[name]
        if part == "initial" and initial == src:
            initial = dst
        elif part == "final" and final.endswith(src) and len(final) - len(src) <= 1:
            final = final[: len(final) - len(src)] + dst
    return initial + final


def _pinyin_dict() -> dict[int, str]:
    """pypinyin's table of single-character readings. Loaded as a file of the package, since
    importing the package itself also loads its phrase dictionaries (a quarter second and
    tens of megabytes) that per-character sound classes never use."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("pypinyin")
    path = os.path.join(spec.submodule_search_locations[0], "pinyin_dict.py")
    try:
        mod_spec = importlib.util.spec_from_file_location("_callqa_pinyin_dict", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        return module.pinyin_dict
    except (OSError, AttributeError):  # pragma: no cover - a packaging we did not foresee
        from pypinyin.pinyin_dict import pinyin_dict

        return pinyin_dict


@lru_cache(maxsize=8)
def _syllables(pairs: tuple[str, ...]) -> tuple[dict[int, str], dict[str, str]]:
    """(code point -> folded syllable of its first reading, folded syllable -> class character)."""
    pinyin_dict = _pinyin_dict()
    folded: dict[str, str] = {}  # a few thousand distinct readings behind 40,000 characters
    syllables: dict[int, str] = {}
    for code, readings in pinyin_dict.items():
        first = readings.split(",", 1)[0]
        syllable = folded.get(first)
        if syllable is None:
            syllable = folded[first] = fold_syllable(_toneless(first), pairs)
        syllables[code] = syllable
    classes = {s: chr(_CLASS_BASE + i) for i, s in enumerate(sorted(set(syllables.values())))}
    return syllables, classes


@lru_cache(maxsize=8)
def sound_table(pairs: tuple[str, ...]) -> dict[int, str]:
    """Code point -> sound-class character for every character pypinyin knows.

    A character with several readings takes its first (most common) one; the same table is
    applied to lexicon phrases and to transcripts, so identical characters always agree.
    """
    syllables, classes = _syllables(pairs)
    return {code: classes[s] for code, s in syllables.items()}


@lru_cache(maxsize=1024)
def sound_variants(text: str, pairs: tuple[str, ...], limit: int = 32) -> list[str]:
    """The sound strings of `text` under every reading of each of its characters, the first
    readings' first: a configured name's polyphonic character (长 zhǎng / cháng) may be heard
    by its other reading (藏青 for 长青). Readings with no character of their own to be heard
    as are left out; at most `limit` strings."""
    syllables, classes = _syllables(pairs)
    pinyin_dict = _pinyin_dict()
    out = [""]
    for ch in text:
        readings = pinyin_dict.get(ord(ch))
        if readings is None:
            options = [ch]
        else:
            options = list(dict.fromkeys(
                classes[s] for s in (fold_syllable(_toneless(r), pairs) for r in readings.split(",")) if s in classes))
        out = [a + b for a in out for b in options][:limit]
    return out


@lru_cache(maxsize=8)
def class_halves(pairs: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Sound-class character -> (initial, final) of its folded syllable: two syllables that
    share one of them are near (这 zhe and 再 zai, with zh folded to z), a slip a listener
    half-hears."""
    _, classes = _syllables(pairs)
    out = {}
    for syllable, ch in classes.items():
        initial = next((i for i in INITIALS if syllable.startswith(i)), "")
        out[ch] = (initial, syllable[len(initial):])
    return out


def to_sound(normalized: str, table: dict[int, str]) -> str:
    return normalized.translate(table)


@lru_cache(maxsize=8)
def sound_lut(pairs: tuple[str, ...]):
    """`sound_table` as a numpy lookup table, for encoding a whole call at once."""
    from app.text.normalize import lookup_table

    return lookup_table(sound_table(pairs))
