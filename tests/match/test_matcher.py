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
    for _ in range(400):
        n_parts = rng.randint(1, 4)
        parts = tuple("".join(rng.choice("ab") for _ in range(rng.randint(1, 2))) for _ in range(n_parts))
        gaps = tuple(rng.randint(0, 3) for _ in range(n_parts - 1))
        pattern = Pattern("x", parts, parts, gaps)
        text = "".join(rng.choice("abc") for _ in range(rng.randint(0, 25)))
        assert _anchor_starts(pattern, text) == _brute_force(pattern, text), (parts, gaps, text)


def test_one_scan_reports_forbidden_anchors_in_the_turns_rules_read(lexicon):
    call = make_call(("agent", "您好，瑞丰电器。"), ("customer", "我不知道。"), ("agent", "好的，这事我们不管，再见。"))
    ct = build_call_text(call, lexicon.sound_lut, lexicon.speakers)
    found = scan(ct, lexicon)
    by_text = {lexicon.phrases[pid].text: occ for pid, occ in found.items()}
    assert by_text["这事我们不管"] == [(2, 6, 8)]  # anchored on its rarest part, 不管
    # no rule reads the customer, so the customer's 我不知道 is never even scanned
    assert "我不知道" not in by_text
    # required phrases are searched in their windows, not scanned for over the call
    assert "再见" not in by_text


def test_turn_positions_with_unscanned_turns(lexicon):
    # the customer's second turn takes the floor (not a backchannel), so the agent has two turns
    call = make_call(("customer", "这事我们不管"), ("agent", "这事我们不管"), ("customer", "喂，你说什么？"), ("agent", "改天通知你。"))
    ct = build_call_text(call, lexicon.sound_lut, lexicon.speakers)
    found = scan(ct, lexicon)
    turns = {t for occ in found.values() for t, _, _ in occ}
    assert turns == {1, 3}
