from __future__ import annotations

import random

import pytest

from app.text.normalize import CLAUSE_PUNCT, FILLERS, clause_breaks, normalize, source_map
from app.text.pinyin import DEFAULT_FUZZY, expand_pairs, fold_syllable, sound_table, to_sound


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我，呃，不知道。", "我不知道"),
        ("我 不 知 道", "我不知道"),
        ("這事我們不管！", "这事我们不管"),
        ("ＡＢＣ　再見", "abc再见"),
        ("您好😀，瑞丰电器", "您好瑞丰电器"),
        ("嗯 您好 这边 是 …", "您好这边是"),
        ("“不行”", "不行"),
        ("KFR-35GW", "kfr35gw"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_question_particles_are_kept():
    # 吗/呢/吧 carry meaning: "不行吗" asks, it does not refuse
    assert normalize("不行吗？") == "不行吗"


def _slow_normalize(text: str) -> str:
    """Reference: the same rules written out one character at a time."""
    import unicodedata

    from app.text.normalize import OTHER_PUNCT, _traditional_to_simplified

    t2s = _traditional_to_simplified()
    out = []
    for ch in text:
        if 0xFF01 <= ord(ch) <= 0xFF5E:
            ch = chr(ord(ch) - 0xFEE0)
        ch = t2s.get(ord(ch), ch)
        if "A" <= ch <= "Z":
            ch = ch.lower()
        if ch.isspace() or ch in CLAUSE_PUNCT or ch in OTHER_PUNCT or ch in FILLERS:
            continue
        if unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF:
            continue
        out.append(ch)
    return "".join(out)


def test_fast_normalize_agrees_with_reference():
    rng = random.Random(7)
    alphabet = "我不知道這事們管再見您好，。！？ 　呃嗯啊ＡＢｃ123😀、…“”吗呢"
    for _ in range(2000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert normalize(s) == _slow_normalize(s), s


def test_source_map_points_back_to_the_kept_characters():
    rng = random.Random(3)
    alphabet = "我不知道這事，。 呃ＡB😀"
    for _ in range(500):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        n = normalize(s)
        m = source_map(s)
        assert len(m) == len(n)
        assert normalize("".join(s[i] for i in m)) == n


def test_clause_breaks_are_positions_in_the_normalized_text():
    assert clause_breaks("我不知道。你问别人吧") == (4,)
    # a comma beside a hesitation is a pause, not a clause end
    assert clause_breaks("我，呃，不知道。") == (4,)
    assert clause_breaks("神经病，嗯，医院") == ()
    # a particle before a comma does end the clause
    assert clause_breaks("不知道啊，你问别人吧") == (3,)
    assert clause_breaks("不知道您这边方便吗") == ()


def test_same_sound_characters_share_a_class():
    table = sound_table(expand_pairs(DEFAULT_FUZZY))
    assert to_sound("再见", table) == to_sound("在见", table)
    assert to_sound("我不知道", table) == to_sound("我不智道", table)  # tones are ignored
    assert to_sound("瑞丰电器", table) == to_sound("锐锋电器", table)
    assert to_sound("不行", table) != to_sound("不对", table)
    assert len(to_sound("再见abc", table)) == 5


@pytest.mark.parametrize(
    ("syllable", "pairs", "folded"),
    [
        ("zhi", ("z/zh",), "zi"),
        ("shi", ("s/sh",), "si"),
        ("nan", ("l/n",), "lan"),
        ("hui", ("f/h",), "fui"),
        ("xing", ("in/ing",), "xin"),
        ("feng", ("en/eng",), "fen"),
        ("zhang", ("z/zh", "an/ang"), "zan"),
        ("zhi", (), "zhi"),
    ],
)
def test_fold_syllable(syllable, pairs, folded):
    assert fold_syllable(syllable, pairs) == folded


def test_unknown_pair_is_refused():
    with pytest.raises(KeyError):
        expand_pairs(["q/x"])
    assert expand_pairs(["ng/n"]) == expand_pairs(["n/ng"])


def test_source_map_agrees_with_a_character_by_character_reference():
    from app.text.normalize import tables

    table = tables()[0]
    rng = random.Random(11)
    alphabet = "我不知道這事，。 呃ＡB😀\u200b\ue123啊那个？!  \u3000再見"
    for _ in range(2000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert list(source_map(s)) == [i for i, ch in enumerate(s) if table.get(ord(ch), ch) is not None]


def test_a_name_is_heard_by_every_reading_of_its_characters():
    from app.text.pinyin import expand_pairs, sound_table, sound_variants

    pairs = expand_pairs(["c/ch", "n/ng"])
    table = sound_table(pairs)
    variants = sound_variants("长青", pairs)
    assert to_sound("长青", table) == variants[0]  # the first reading (zhǎng) first
    assert to_sound("藏青", table) in variants  # cáng ~ cháng: the other reading, near sound
    assert to_sound("涨青", table) in variants
