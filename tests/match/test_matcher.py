from __future__ import annotations

import random

from app.lexicon.compiler import Pattern
from app.match.matcher import _occurrences, scan
from app.text.turns import build_call_text
from tests.conftest import make_call


def _brute_force(pattern: Pattern, s: str) -> set[int]:
    """Reference: every anchor position from which the whole pattern can be laid out, found by
    trying every placement of every part."""
    k = pattern.anchor
    out = set()

    def left(i: int, start: int) -> bool:
        if i < 0:
            return True
        part = pattern.sounds[i]
        for gap in range(pattern.gaps[i] + 1):
            end = start - gap
            b = end - len(part)
            if b >= 0 and s[b:end] == part and left(i - 1, b):
                return True
        return False

    def right(i: int, end: int) -> bool:
        if i >= len(pattern.parts):
            return True
        part = pattern.sounds[i]
        for gap in range(pattern.gaps[i - 1] + 1):
            b = end + gap
            if s[b:b + len(part)] == part and right(i + 1, b + len(part)):
                return True
        return False

    key = pattern.sounds[k]
    for a in range(len(s) - len(key) + 1):
        if s[a:a + len(key)] == key and left(k - 1, a) and right(k + 1, a + len(key)):
            out.add(a)
    return out


def _anchor_starts(pattern: Pattern, s: str) -> set[int]:
    """Anchor start of each occurrence the fast path reports."""
    key = pattern.sounds[pattern.anchor]
    starts = set()
    i = s.find(key)
    while i >= 0:
        if any(True for _ in _occurrences(pattern, s, i, i + len(key))):
            starts.add(i)
        i = s.find(key, i + 1)
    return starts


def test_gapped_matching_agrees_with_brute_force():
    rng = random.Random(11)
    for trial in range(400):
        n_parts = rng.randint(1, 4)
        parts = tuple("".join(rng.choice("ab") for _ in range(rng.randint(1, 2))) for _ in range(n_parts))
        gaps = tuple(rng.randint(0, 3) for _ in range(n_parts - 1))
        pattern = Pattern("x", parts, parts, gaps)
        text = "".join(rng.choice("abc") for _ in range(rng.randint(0, 25)))
        assert _anchor_starts(pattern, text) == _brute_force(pattern, text), (parts, gaps, text)


def test_one_scan_reports_anchors_per_turn(lexicon):
    call = make_call(("agent", "您好，瑞丰电器。"), ("customer", "我不知道。"), ("agent", "好的，再见。"))
    ct = build_call_text(call, lexicon.sound)
    found = scan(ct, lexicon)
    by_text = {lexicon.phrases[pid].text: occ for pid, occ in found.items()}
    assert by_text["再见"] == [(2, 2, 4)]
    # the customer's 我不知道 is found by the scan; scoping it out is the scorer's job
    assert any(t == 1 for t, _, _ in by_text["我不知道"])
