"""Match a center's standard scripts (标准话术) against what the agent said, by sound.

A script is aligned with the agent's speech in the rule's window as a whole: each of its
characters heard by the same or a near sound costs nothing, each one missing or written
otherwise costs one (half where its syllable's initial or final was heard right: 你 for 您), each
extra character inside the aligned stretch costs half. Slots are part
of the script: `{greeting}` is any greeting word (weighed as two characters), `{number}` any
run of digits or Chinese numerals (one; a garbled number, such as 久了 for 九六, costs its
weight), and a variable's slot each of its written forms. The similarity is one minus the
cost over the script's weight, so one garbled word does not fail an opening read in full
("岁丰售后" for 瑞丰售后), and an opening that leaves out half the script does.

The alignment is the classic edit distance with a free start and end in the speech (the script
may stand anywhere in the window), computed one script row at a time over the whole window
with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy as np

from app.lexicon.scripts import ScriptPart
from app.text.pinyin import to_sound
from app.text.turns import CallText

NUMERALS = frozenset("0123456789零〇一二三四五六七八九十幺两")
GREETING_WEIGHT = 2  # what a {greeting} slot weighs, in characters
NUMBER_WEIGHT = 1
GARBLED_CHARS = 6  # the most characters a slot heard as something else may take up
NEAR_COST = 0.5  # a character heard with its syllable's initial or final right
# A word the agent or the recognizer added (能够帮助你 for 能帮您) takes less from a script read than
# a word of it left out.
EXTRA_COST = 0.5
MAX_ALTERNATIVES = 8  # forms of the variables tried, at most
MAX_WINDOW = 2000  # characters of the window read (an opening or a closing is far shorter)


@dataclass(frozen=True)
class Unit:
    """A piece of a script for the evidence: a word of its text, or a slot."""

    label: str  # the word, or "{slot}"
    slot: str | None


@dataclass(frozen=True)
class Row:
    kind: str  # "c" a character | "g" greeting slot | "n" number slot
    sound: str  # the character's sound ("c" rows)
    unit: int  # index into the alternative's units
    weight: int


@dataclass(frozen=True)
class Alternative:
    rows: tuple[Row, ...]
    units: tuple[Unit, ...]
    weight: int
    forms: tuple[str, ...]  # the variables' forms filled in


@dataclass(frozen=True)
class ScriptMatch:
    script: str  # as written
    number: int  # which of the rule's scripts (1-based)
    similarity: float
    turn: int  # where the aligned stretch starts and ends: turn index, position in its text
    start: int
    end_turn: int
    end: int
    heard: tuple[str, ...]
    missed: tuple[str, ...]

    def detail(self, total: int) -> str:
        out = f"script {self.number} of {total}, {self.similarity:.0%} heard"
        if self.heard:
            out += ": " + " ".join(self.heard)
        if self.missed:
            out += "; not heard: " + " ".join(self.missed)
        return out


def alternatives(parts: tuple[ScriptPart, ...], values: dict[str, tuple[str, ...]], sound: dict[int, str],
                 cut) -> list[Alternative] | str:
    """The script's rows for each combination of its variables' forms, or the name of a variable
    the call does not give. `cut` segments literal text into words (for the evidence only)."""
    names = [p.text for p in parts if p.slot and p.text not in ("greeting", "number")]
    missing = next((n for n in names if not values.get(n)), None)
    if missing:
        return missing
    out = []
    for forms in list(product(*(values[n] for n in names)))[:MAX_ALTERNATIVES]:
        filled = dict(zip(names, forms, strict=True))
        rows: list[Row] = []
        units: list[Unit] = []
        for part in parts:
            if part.slot and part.text == "greeting":
                units.append(Unit("{greeting}", "greeting"))
                rows.append(Row("g", "", len(units) - 1, GREETING_WEIGHT))
            elif part.slot and part.text == "number":
                units.append(Unit("{number}", "number"))
                rows.append(Row("n", "", len(units) - 1, NUMBER_WEIGHT))
            elif part.slot:
                form = normalize_form(filled[part.text])
                units.append(Unit("{" + part.text + "}", part.text))
                rows.extend(Row("c", ch, len(units) - 1, 1) for ch in to_sound(form, sound))
            else:
                for word in cut(part.text):
                    units.append(Unit(word, None))
                    rows.extend(Row("c", ch, len(units) - 1, 1) for ch in to_sound(word, sound))
        out.append(Alternative(tuple(rows), tuple(units), sum(r.weight for r in rows), forms))
    return out


@lru_cache(maxsize=256)
def normalize_form(form: str) -> str:
    from app.text.normalize import normalize

    return normalize(form)


@dataclass
class Window:
    """The agent's speech a rule reads, as one string: sound, text, and where each character
    came from."""

    sound: str
    norm: str
    turn: list[int]
    pos: list[int]


def window_text(ct: CallText, turns: list[int], limits: dict | None) -> Window:
    sound, norm, turn_of, pos_of = [], [], [], []
    for t in sorted(turns, key=lambda t: ct.turns[t].utterances[0]):
        tx = ct.turns[t]
        lo, hi = limits.get(t, (0, len(tx.norm))) if limits else (0, len(tx.norm))
        sound.append(tx.sound[lo:hi])
        norm.append(tx.norm[lo:hi])
        turn_of.extend([t] * (hi - lo))
        pos_of.extend(range(lo, hi))
    return Window("".join(sound)[:MAX_WINDOW], "".join(norm)[:MAX_WINDOW], turn_of[:MAX_WINDOW], pos_of[:MAX_WINDOW])


def _spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    out = []
    for w in words:
        at = text.find(w)
        while at >= 0:
            out.append((at, at + len(w)))
            at = text.find(w, at + 1)
    return out


def _runs(mask: list[bool]) -> list[tuple[int, int]]:
    out, start = [], None
    for i, m in enumerate([*mask, False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i))
            start = None
    return out


def align(alt: Alternative, win: Window, greet_spans: list[tuple[int, int]],
          number_runs: list[tuple[int, int]], halves: dict[str, tuple[str, str]] | None = None) -> tuple[float, int, int]:
    """(cost, start, end) of the cheapest placement of the script in the window: edit distance
    with a free start and end in the window. Each cell keeps where its path began. With
    `halves` (sound class -> initial, final), a syllable heard with its initial or its final
    right costs half (你 for 您, 这 for 再)."""
    n = len(win.sound)
    codes = np.frombuffer(win.sound.encode("utf-32-le"), dtype="<u4")
    if halves:
        parts = [halves.get(c, (c, c)) for c in win.sound]
        initials = np.array([p[0] for p in parts], dtype=object)
        finals = np.array([p[1] for p in parts], dtype=object)
    idx = np.arange(n + 1)
    prev = np.zeros(n + 1)  # free start: the script may begin anywhere
    began = idx.copy()

    def take(cur, cst, at, cand, from_start):
        better = cand < cur[at]
        cur[at] = np.where(better, cand, cur[at])
        cst[at] = np.where(better, from_start, cst[at])

    for row in alt.rows:
        w = row.weight
        cur, cst = prev + w, began.copy()  # the row not heard at all
        if row.kind == "c":
            miss = (codes != ord(row.sound)).astype(np.float64)
            if halves and row.sound in halves:
                initial, final = halves[row.sound]
                miss[(miss > 0) & ((initials == initial) | (finals == final))] = NEAR_COST
            take(cur, cst, slice(1, None), prev[:-1] + miss, began[:-1])
        else:
            # a slot heard as something else: up to GARBLED_CHARS characters for its weight
            for k in range(1, min(GARBLED_CHARS, n) + 1):
                take(cur, cst, slice(k, None), prev[:-k] + w, began[:-k])
            if row.kind == "g":
                for a, b in greet_spans:
                    if prev[a] < cur[b]:
                        cur[b], cst[b] = prev[a], began[a]
            else:
                for a, b in number_runs:  # a run of numerals, or a part of one
                    for j in range(a + 1, b + 1):
                        k = a + int(np.argmin(prev[a:j]))
                        if prev[k] < cur[j]:
                            cur[j], cst[j] = prev[k], began[k]
        # extra characters inside the stretch: EXTRA_COST each (the running minimum, carried along)
        v = cur - idx * EXTRA_COST
        low = np.minimum.accumulate(v)
        at = np.maximum.accumulate(np.where(v == low, idx, 0))
        prev, began = low + idx * EXTRA_COST, cst[at]
    end = int(np.argmin(prev))
    return float(prev[end]), int(began[end]), end


def _heard(alt: Alternative, win: Window, start: int, end: int, greet_spans, number_runs) -> list[bool]:
    """Which units of the script the stretch [start, end) holds: its characters in order (the
    longest common subsequence by sound), a slot where a greeting word or a number stands."""
    from rapidfuzz.distance import Indel

    chars = "".join(r.sound for r in alt.rows if r.kind == "c")
    got = [True] * len(chars)
    for op in Indel.editops(chars, win.sound[start:end]):
        if op.tag == "delete":
            got[op.src_pos] = False
    heard = [True] * len(alt.units)
    k = 0
    for row in alt.rows:
        if row.kind == "c":
            heard[row.unit] &= got[k]
            k += 1
        else:
            spans = greet_spans if row.kind == "g" else number_runs
            heard[row.unit] &= any(start <= a and b <= end for a, b in spans)
    return heard


def best_match(scripts: list[tuple[str, list[Alternative]]], win: Window,
               greetings: tuple[str, ...], halves: dict[str, tuple[str, str]] | None = None) -> ScriptMatch | None:
    """The script (of the rule's, each with its alternatives) heard best in the window."""
    if not win.sound:
        return None
    greet_spans = _spans(win.sound, greetings)
    number_runs = _runs([c in NUMERALS for c in win.norm])
    best = None
    for number, (text, alts) in enumerate(scripts, 1):
        for alt in alts:
            cost, start, end = align(alt, win, greet_spans, number_runs, halves)
            sim = max(0.0, 1 - cost / alt.weight)
            if best is None or sim > best[0]:
                best = (sim, number, text, alt, start, end)
    if best is None:
        return None
    sim, number, text, alt, start, end = best
    heard = _heard(alt, win, start, end, greet_spans, number_runs)
    names = [u.label for u in alt.units]
    if end <= start:  # nothing of it heard: point at the window's start
        start, end = 0, 1
    return ScriptMatch(text, number, round(sim, 3), win.turn[start], win.pos[start], win.turn[end - 1],
                       win.pos[end - 1] + 1, tuple(x for x, h in zip(names, heard, strict=True) if h),
                       tuple(x for x, h in zip(names, heard, strict=True) if not h))
