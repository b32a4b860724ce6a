"""Find phrase hits in a call's turns: exact and same-sound through one automaton scan, then
each candidate checked against the phrase's conditions (gaps, word boundaries, clause position,
exceptions). Fuzzy matching and near misses use rapidfuzz on the sound strings.

A candidate that fails any check is dropped: nothing below a phrase's bar is returned.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from rapidfuzz import fuzz

from app.lexicon.compiler import SCOPE_REACH, WILDCARD, Brand, CompiledLexicon, Pattern, Phrase, cut_pattern
from app.text.pinyin import to_sound
from app.text.turns import CallText, Turn

# What may follow a blunt answer in its clause and still leave it blunt ("不知道啊。").
# Question particles (吗, 呢) are not here: "不行吗" asks, it does not refuse.
TRAILING_PARTICLES = frozenset("了啊呀哦啦吧嘛的哈")
# A filler word ASR keeps (it is also a word, so normalization cannot drop it); it may
# stand after a blunt answer or before a lone one.
TRAILING_FILLER = "那个"
# What may stand before a refusal that opens a clause: "那不行", "哦，不知道".
LEADING_WORDS = ("", "那", "那个", "这个")
LEAD_MAX = max(map(len, LEADING_WORDS))


@dataclass(frozen=True)
class Candidate:
    phrase: Phrase | None  # None for what a rule's grammar found (app.match.answers)
    phrase_text: str  # with placeholders filled
    turn: int
    start: int  # in turn.norm
    end: int
    method: str  # exact | pinyin | fuzzy
    similarity: float
    detail: str | None = None  # how an unusual form was accepted (a brand heard another way)
    where: tuple[int, int, str] | None = None  # (utterance, offset, text as written), when already known


def scan(ct: CallText, lex: CompiledLexicon) -> dict[int, list[tuple[int, int, int]]]:
    """Anchor occurrences by phrase id: (turn index, start, end) in that turn's text. Phrases
    that may match by sound are looked for in the sound string, the others in the text."""
    found: dict[int, list[tuple[int, int, int]]] = {}
    if lex.automaton is not None and ct.joined:
        _collect(lex.automaton.iter(ct.joined), ct, found)
    if lex.exact_automaton is not None and ct.joined:
        _collect(lex.exact_automaton.iter(ct.joined_norm), ct, found)
    return found


def _collect(matches, ct: CallText, found: dict) -> None:
    offsets = ct.offsets
    turn_at = ct.turn_at
    for end_pos, (length, ids) in matches:
        start_pos = end_pos + 1 - length
        t = turn_at(start_pos)
        s = start_pos - offsets[t]
        occ = (t, s, s + length)
        for pid in ids:
            lst = found.get(pid)
            if lst is None:
                found[pid] = [occ]
            else:
                lst.append(occ)


def _left(parts: tuple[str, ...], gaps: tuple[int, ...], sound: str, i: int, start: int) -> int:
    """Place parts i, i-1 ... 0 before `start`; the start of part 0, or -1."""
    if i < 0:
        return start
    part = parts[i]
    n = len(part)
    for gap in range(gaps[i] + 1):
        b = start - gap - n
        if b < 0:
            return -1
        if sound.startswith(part, b):
            found = _left(parts, gaps, sound, i - 1, b)
            if found >= 0:
                return found
    return -1


def _right(parts: tuple[str, ...], gaps: tuple[int, ...], sound: str, i: int, end: int) -> int:
    """Place parts i, i+1 ... after `end`; the end of the last part, or -1."""
    if i >= len(parts):
        return end
    part = parts[i]
    n = len(part)
    limit = len(sound)
    for gap in range(gaps[i - 1] + 1):
        b = end + gap
        if b + n > limit:
            return -1
        if sound.startswith(part, b):
            found = _right(parts, gaps, sound, i + 1, b + n)
            if found >= 0:
                return found
    return -1


def _place(parts: tuple[str, ...], gaps: tuple[int, ...], k: int, text: str, a_start: int,
           a_end: int) -> tuple[int, int] | None:
    """Grow an occurrence of part k into the whole pattern, or None. Parts are placed nearest
    first with backtracking: the nearest place for one part can leave the next one out of
    reach while a farther place would not."""
    if len(parts) == 1:
        return a_start, a_end
    # Most anchors have no neighbour part in reach at all: one C-level search says so.
    lo = a_start - gaps[k - 1] - len(parts[k - 1]) if k else 0
    if k and text.rfind(parts[k - 1], lo if lo > 0 else 0, a_start) < 0:
        return None
    if k + 1 < len(parts) and text.find(parts[k + 1], a_end, a_end + gaps[k] + len(parts[k + 1])) < 0:
        return None
    start = _left(parts, gaps, text, k - 1, a_start) if k else a_start
    if start < 0:
        return None
    end = _right(parts, gaps, text, k + 1, a_end) if k + 1 < len(parts) else a_end
    return None if end < 0 else (start, end)


def _extend(pattern: Pattern, sound: str, a_start: int, a_end: int) -> tuple[int, int] | None:
    """`_place` in the sound string: same-sound characters count as the same."""
    return _place(pattern.sounds, pattern.gaps, pattern.anchor, sound, a_start, a_end)


def _extend_exact(pattern: Pattern, norm: str, a_start: int, a_end: int) -> tuple[int, int] | None:
    """`_place` in the text itself, for phrases that may only match as written."""
    return _place(pattern.parts, pattern.gaps, pattern.anchor, norm, a_start, a_end)


def _occurrences(pattern: Pattern, sound: str, lo: int = 0, hi: int | None = None):
    hi = len(sound) if hi is None else hi
    key = pattern.sounds[pattern.anchor]
    i = sound.find(key, lo, hi)
    while i >= 0:
        span = _extend(pattern, sound, i, i + len(key))
        if span is not None:
            yield span
        i = sound.find(key, i + 1, hi)


def _is_exact(pattern: Pattern, norm: str, start: int, end: int) -> bool:
    if len(pattern.parts) == 1:
        return norm[start:end] == pattern.parts[0]
    pos = start
    for part in pattern.parts:
        j = norm.find(part, pos, end)
        if j < 0:
            return False
        pos = j + len(part)
    return True


def _cancelled(phrase: Phrase, turn: Turn, start: int, end: int) -> bool:
    """Does an exception cancel the hit [start, end)? One automaton pass over the stretch an
    exception could occupy says which of them can be there; only those are checked."""
    if phrase.near_exceptions is not None:
        lo = max(0, start - phrase.reach_before)
        hi = min(len(turn.sound), end + phrase.reach_after)
        for a_end, (length, excs) in _anchors(phrase.near_exceptions, turn, lo, hi):
            for exc in excs:
                span = _place_exception(exc.pattern, turn, a_end + 1 - length, a_end + 1)
                if span is None:
                    continue
                scope = exc.scope
                if scope == "overlap":
                    if span[0] < end and span[1] > start and not _straddles(turn, span[0], span[1], start, end):
                        return True
                elif scope == "after":
                    if end <= span[0] <= end + AFTER_REACH:
                        return True
                elif start - BEFORE_REACH <= span[1] <= start and not _sentence_between(turn, span[1], start):
                    return True
    if phrase.turn_exceptions is not None:
        return _in_turn(phrase.turn_exceptions, turn)
    return False


def _in_turn(automata: tuple, turn: Turn) -> bool:
    """Is any of these exceptions anywhere in the turn? Found once per turn, not per hit."""
    if turn.found is None:
        turn.found = {}
    key = id(automata)
    found = turn.found.get(key)
    if found is None:
        found = any(_place_exception(exc.pattern, turn, a_end + 1 - length, a_end + 1) is not None
                    for a_end, (length, excs) in _anchors(automata, turn, 0, len(turn.sound)) for exc in excs)
        turn.found[key] = found
    return found


def _anchors(automata: tuple, turn: Turn, lo: int, hi: int):
    """The exceptions' anchors in turn[lo:hi]: by sound, then the one-character ones as written.
    (The automaton is given the slice: iter(text, lo, hi) costs time in the length of the whole
    text, which for a long unpunctuated turn made every hit's check as slow as the turn is long.)"""
    by_sound, written = automata
    whole = lo == 0 and hi >= len(turn.sound)
    for automaton, text in ((by_sound, turn.sound), (written, turn.norm)):
        if automaton is None:
            continue
        if whole:
            yield from automaton.iter(text)
        else:
            for a_end, value in automaton.iter(text[lo:hi]):
                yield a_end + lo, value


BEFORE_REACH, AFTER_REACH = SCOPE_REACH["before"], SCOPE_REACH["after"]


def _sentence_between(turn: Turn, a: int, b: int) -> bool:
    """True when a sentence ends (。？！ as written) anywhere from a to b."""
    br = turn.sentence_breaks()
    i = bisect_left(br, a)
    return i < len(br) and br[i] <= b


def _place_exception(pattern: Pattern, turn: Turn, a_start: int, a_end: int) -> tuple[int, int] | None:
    """`_extend` for an exception, found by its anchor in the sound string. A part of one
    character says little by its sound (哪 = 那), so it must be written as is: "不知道您之前联系
    的那个是哪位" holds 不知道…哪 at 哪, not at 那. Placed nearest first, with backtracking."""
    parts, sounds, gaps, k = pattern.parts, pattern.sounds, pattern.gaps, pattern.anchor
    norm, sound = turn.norm, turn.sound
    if not pattern.singles:
        return _place(sounds, gaps, k, sound, a_start, a_end)
    if len(parts[k]) == 1 and norm[a_start] != parts[k]:
        return None
    # Many exceptions share an anchor (不知道*吗, 不知道*哪 ...): one C-level search for each
    # other part near the anchor rules most of them out before any placing.
    reach = pattern.extent
    lo, hi = max(0, a_start - reach), a_end + reach
    for i in range(len(parts)):
        if i != k and (norm.find(parts[i], lo, hi) if len(parts[i]) == 1 else sound.find(sounds[i], lo, hi)) < 0:
            return None

    def fits(i: int, b: int) -> bool:
        return norm.startswith(parts[i], b) if len(parts[i]) == 1 else sound.startswith(sounds[i], b)

    def left(i: int, start: int) -> int:
        if i < 0:
            return start
        n = len(parts[i])
        for gap in range(gaps[i] + 1):
            b = start - gap - n
            if b < 0:
                return -1
            if fits(i, b):
                found = left(i - 1, b)
                if found >= 0:
                    return found
        return -1

    def right(i: int, end: int) -> int:
        if i >= len(parts):
            return end
        n = len(parts[i])
        for gap in range(gaps[i - 1] + 1):
            b = end + gap
            if b + n > len(sound):
                return -1
            if fits(i, b):
                found = right(i + 1, b + n)
                if found >= 0:
                    return found
        return -1

    lo = left(k - 1, a_start)
    if lo < 0:
        return None
    hi = right(k + 1, a_end)
    return None if hi < 0 else (lo, hi)


def _straddles(turn: Turn, s: int, e: int, start: int, end: int) -> bool:
    """True when a sentence ends inside the exception [s, e) outside the hit [start, end):
    "帮您？我不知道" holds no "您…不知道", while "神经病啊，医院" is still 神经病医院."""
    b = turn.sentence_breaks()
    i = bisect_right(b, s)
    while i < len(b) and b[i] < e:
        if not (start < b[i] < end):
            return True
        i += 1
    return False


def _position_ok(phrase: Phrase, lex: CompiledLexicon, turn: Turn, start: int, end: int) -> bool:
    """Where the hit stands in its clause. Clauses end at punctuation, at the turn's ends, where
    the other speaker cut in or the speaker paused, and after sentence-final particles. A phrase
    with several positions (clause_end, alone, opens_clause) counts where any of them holds."""
    if not (phrase.clause_end or phrase.alone or phrase.opens_clause):
        return True
    norm = turn.norm
    lo, hi = turn.clause_of(start, end, lex.segmenter)
    # a break that falls inside the filler 那个 ("这个不行那" / "个") does not end the clause
    while 0 < lo and norm[lo - 1:lo + 1] == TRAILING_FILLER:
        lo = turn.clause_of(lo - 1, lo - 1, lex.segmenter)[0]
    while hi < len(norm) and norm[hi - 1:hi + 1] == TRAILING_FILLER:
        hi = turn.clause_of(hi + 1, hi + 1, lex.segmenter)[1]
    # a hit in a sentence written as a question ("不知道能否远程协助呀，亲？") asks; it is no answer
    sentences = turn.sentence_breaks()
    if sentences:
        i = bisect_left(sentences, end)
        if i < len(sentences) and sentences[i] in turn.question_ends():
            return False
    # (only short leads can qualify: a clause of a long unpunctuated turn is not copied per hit)
    lead = norm[lo:start] if start - lo <= LEAD_MAX else None
    if phrase.opens_clause and lead in LEADING_WORDS:
        return True
    if not (phrase.clause_end or phrase.alone):
        return False
    if not _only_particles(norm, end, hi):
        return False
    return phrase.clause_end or lead in ("", TRAILING_FILLER)


def _only_particles(norm: str, k: int, hi: int) -> bool:
    """norm[k:hi] holds nothing but sentence-final particles and the filler 那个; stops at the
    first other character, so a long clause costs no more than a short one."""
    while k < hi:
        if norm.startswith(TRAILING_FILLER, k, hi):
            k += len(TRAILING_FILLER)
        elif norm[k] in TRAILING_PARTICLES:
            k += 1
        else:
            return False
    return True


def _words_ok(phrase: Phrase, lex: CompiledLexicon, turn: Turn, start: int, end: int, method: str) -> bool:
    """Word-boundary check. A same-sound hit always stands on word boundaries (再检 in 再检查 is
    no 再见, 零号 in 零号码 no 您好), and for an accusing phrase the heard text is not a real
    other word (步行 is not 不行)."""
    if method == "pinyin" and phrase.accuses:
        heard = turn.norm[start:end]
        if lex.segmenter.is_word(heard):
            return False
    if not (phrase.word_boundary or method == "pinyin"):
        return True
    lo, cuts = turn.word_bounds(lex.segmenter, start, end)
    return (start - lo) in cuts and (end - lo) in cuts


def changed_chars(pattern: Pattern, norm: str, sound: str, start: int, end: int) -> int:
    """How many characters of a same-sound occurrence [start, end) differ from the phrase as
    written (each part found in order, as `_place` laid it out)."""
    parts = pattern.parts
    if len(parts) == 1:
        return sum(a != b for a, b in zip(norm[start:end], parts[0], strict=False))
    n, pos = 0, start
    for part, snd in zip(parts, pattern.sounds, strict=True):
        at = sound.find(snd, pos, end)
        if at < 0:  # (cannot happen for a span _place returned)
            return len(part) + n
        n += sum(a != b for a, b in zip(norm[at:at + len(part)], part, strict=True))
        pos = at + len(part)
    return n


def sound_slips_allowed(chars: int) -> int:
    """How many characters a same-sound hit may write differently from the phrase: one in a
    phrase of two or three (在见 is 再见; 零号 for 您好 changes both and is refused), half of a
    longer one (我不智到)."""
    return 1 if chars <= 3 else chars // 2


def _pieced(turn: Turn, start: int, end: int) -> bool:
    """Is [start, end) pieced together from separate remarks: its first pieces end a fragment
    that said something before them, and a long pause (`turns.remark_ms`) follows that fragment
    ("请问有什么可以帮您" / a second later "好的…" holds no 您好)? A fragment that holds only
    the phrase's first piece was cut at the phrase itself ("下午" / "好"), pause or not."""
    pauses = turn.pauses
    i = bisect_right(pauses, start)
    while i < len(pauses) and pauses[i] < end:
        k = bisect_left(turn.frag_starts, pauses[i])  # the fragment after the pause
        if turn.frag_starts[k - 1] < start:
            return True
        i += 1
    return False


def _asks(lex: CompiledLexicon, turn: Turn, start: int, end: int) -> bool:
    """Is the hit [start, end) asked rather than said (see `asks`)?"""
    if turn.norm.find("吗", end) < 0 and not turn.sentence_breaks():  # (most turns: nothing to look at)
        return False
    return asks(turn, end, turn.clause_of(start, end, lex.segmenter)[1])


# After a hit, before the 吗 that closes its clause, these begin another sentence: "那不行您还有
# 别的问题吗" refuses, then asks something else.
NEW_SENTENCE = ("您", "你", "我", "咱", "请", "还有")
ASKED_REACH = 8  # the most characters between a hit and the 吗 that makes it a question


def asks(turn: Turn, end: int, hi: int) -> bool:
    """Does the clause of a hit ending at `end` (the clause ends at `hi`) ask: a question mark
    written at its end (not after 吧: "你去问别人吧？" suggests), or 吗 closing the clause soon
    after it with no new sentence begun between ("你们公司规定就是这样吗")?"""
    norm = turn.norm
    sentences = turn.sentence_breaks()
    if sentences:
        i = bisect_left(sentences, end)
        if i < len(sentences) and sentences[i] <= hi and sentences[i] in turn.question_ends() \
                and norm[sentences[i] - 1] != "吧":
            return True
    if not (end < hi <= end + ASKED_REACH + 1 and norm[hi - 1] == "吗"):
        return False
    between = norm[end:hi - 1]
    return not any(w in between for w in NEW_SENTENCE)


def check(phrase: Phrase, pattern: Pattern, lex: CompiledLexicon, ct: CallText, t: int,
          start: int, end: int, phrase_text: str) -> Candidate | None:
    """Apply the phrase's conditions to a whole-pattern occurrence; cheapest checks first."""
    turn = ct.turns[t]
    if _is_exact(pattern, turn.norm, start, end):
        method = "exact"
    elif phrase.pinyin:
        method = "pinyin"
        if changed_chars(pattern, turn.norm, turn.sound, start, end) > sound_slips_allowed(pattern.chars):
            return None
    else:
        return None
    if turn.pauses and _pieced(turn, start, end):
        return None
    if not _position_ok(phrase, lex, turn, start, end):
        return None
    if not phrase.in_question and _asks(lex, turn, start, end):
        return None
    if phrase.exceptions and _cancelled(phrase, turn, start, end):
        return None
    if not _words_ok(phrase, lex, turn, start, end, method):
        return None
    where = turn.evidence(start, end)  # no phrase runs across the end of a sentence
    if where is None:
        return None
    return Candidate(phrase, phrase_text, t, start, end, method, 1.0, None, where)


def fixed_candidates(phrase: Phrase, anchors: list[tuple[int, int, int]], lex: CompiledLexicon,
                     ct: CallText, turns: set[int]) -> list[Candidate]:
    """Every accepted hit of a phrase from its anchor occurrences in the given turns."""
    out = []
    pattern = phrase.pattern
    exact = not phrase.pinyin
    for t, s, e in anchors:
        if t not in turns:
            continue
        span = _extend_exact(pattern, ct.turns[t].norm, s, e) if exact else _extend(pattern, ct.turns[t].sound, s, e)
        if span is None:
            continue
        cand = check(phrase, pattern, lex, ct, t, span[0], span[1], phrase.text)
        if cand is not None:
            out.append(cand)
    return out


def template_patterns(phrase: Phrase, lex: CompiledLexicon, values: dict[str, tuple[str, ...]]) -> list[Pattern]:
    """The phrase with each written form of its variables filled in, cut like any phrase, so
    a name may have a filler inside it ("华美，那个，家居") when the rule allows insertions.
    Cached on the lexicon: a call center has few distinct names."""
    forms = tuple(values.get(name, ()) for name in phrase.variables)
    key = (phrase.id, forms)
    cached = lex._templates.get(key)
    if cached is not None:
        return cached
    texts = [phrase.text]
    for name, vals in zip(phrase.variables, forms, strict=True):
        texts = [t.replace("{" + name + "}", v) for t in texts for v in vals]
    out = []
    for filled in texts:
        pattern = cut_pattern(filled.replace(WILDCARD, ""), lex.sound, lex.segmenter.cut, phrase.max_insert, phrase.max_gap,
                              lex.segmenter.freq)
        if pattern is not None:
            out.append(pattern)
    if len(lex._templates) > 10_000:
        lex._templates.clear()
    lex._templates[key] = out
    return out


def search_candidates(phrase: Phrase, patterns: list[Pattern], lex: CompiledLexicon,
                      ct: CallText, turns: set[int], keep=None, first_only: bool = False) -> list[Candidate]:
    """Look for the patterns in the given turns directly (no automaton): for a required rule's
    small window, or a phrase whose text is only known per call."""
    out = []
    for t in sorted(turns):
        turn = ct.turns[t]
        for pattern in patterns:
            for s, e in _occurrences(pattern, turn.sound):
                cand = check(phrase, pattern, lex, ct, t, s, e, pattern.text)
                if cand is not None and (keep is None or keep(cand)):
                    out.append(cand)
                    if first_only:
                        return out
    return out


def brand_candidates(phrase: Phrase, brand: Brand, brands: tuple[str, ...], lex: CompiledLexicon, ct: CallText,
                     turns: set[int], keep=None) -> list[Candidate]:
    """The first place in the given turns where one of `brands` (a name's brand, normalized) is
    said as a recognizer may write it: by a near sound under the brand's own pairs, without the
    rest of the name or with another category word, a filler word inside it (瑞那个丰). Said
    alone the brand could be an ordinary word, so it must stand next to what introduces or
    follows a name (这边是 / 欢迎致电 ..., 电器 / 厂家 / 客服中心 ...). The hit's `detail` says
    which form was accepted."""
    wanted = [(b, near, to_sound(b, lex.sound)) for b in brands for near in brand.variants(b)]
    for t in sorted(turns):
        turn = ct.turns[t]
        for norm, sound, where in _without_fillers(turn):
            heard = norm.translate(brand.sound)
            for b, near, same in wanted:
                at = heard.find(near)
                while at >= 0:
                    end = at + len(near)
                    after_word = next((w for w in brand.after if sound.startswith(w, end)), "")
                    before_word = next((w for w in brand.before if sound.endswith(w, 0, at)), "")
                    after, before = len(after_word), 0 if after_word else len(before_word)
                    written = norm[at:end]
                    # every syllable written otherwise (锐锋 for 瑞丰) only next to a trade word, a
                    # suffix or an introduction, or opening the turn: "给您约的" holds no 凌岳
                    slips = sum(x != y for x, y in zip(written, b, strict=True))
                    if (after or before) and (written == b or written not in brand.others) and (
                            slips <= sound_slips_allowed(len(b)) or at == 0 or after_word in brand.strong
                            or before_word in brand.strong):
                        alike = sum(x == y for x, y in zip(sound[at:end], same, strict=True))
                        how = f"brand {b!r}" if written == b else f"brand {b!r} heard as {written!r}"
                        how += f", followed by {norm[end:end + after]!r}" if after else f", after {norm[at - before:at]!r}"
                        cand = Candidate(phrase, b, t, where(at), where(end - 1) + 1,
                                         "exact" if written == b else "pinyin", round(alike / len(b), 3), how)
                        if keep is None or keep(cand):
                            return [cand]
                    at = heard.find(near, at + 1)
    return []


def frame_candidates(phrase: Phrase, brand: Brand, brands: tuple[str, ...], lex: CompiledLexicon, ct: CallText,
                     turns: set[int], keep=None) -> list[Candidate]:
    """The first self-introduction in the given turns that names the company in its frame:
    after one of what introduces a name (这边是, 欢迎致电, 您好, 为您服务 ...), a slot of the
    brand's length, then a trade word, a suffix or what closes the frame (售后, 厂方, 很高兴为您
    服务 ...). The slot names the company when half its syllables (one of two) are the brand's,
    in place, by the same or a near sound, and it is not another company's name: a recognizer
    writes any syllable for the other ("下午好 岁丰售后" for 瑞丰). Evidence: method `frame`,
    similarity the share of the brand's syllables heard in place."""
    if not brand.frame_after:
        return []
    wanted = [(b, brand.variants(b)) for b in brands]
    for t in sorted(turns):
        turn = ct.turns[t]
        for norm, sound, where in _without_fillers(turn):
            heard = None
            for w in brand.before:
                at = sound.find(w)
                while at >= 0:
                    s0 = at + len(w)
                    for b, variants in wanted:
                        e0 = s0 + len(b)
                        slot = norm[s0:e0]
                        if len(slot) < len(b) or not _hanzi(slot):
                            continue
                        closing = next((x for x in brand.frame_after if sound.startswith(x, e0)), None)
                        if closing is None or slot in brand.others or slot == b:  # (b itself: found as written)
                            continue
                        if heard is None:
                            heard = norm.translate(brand.sound)
                        in_place = max(sum(x == y for x, y in zip(heard[s0:e0], v, strict=True)) for v in variants)
                        if in_place * 2 < len(b):
                            continue
                        how = (f"company named in its frame: {norm[at:s0]!r} + {slot!r} + {norm[e0:e0 + len(closing)]!r} "
                               f"(brand {b!r}, {in_place} of {len(b)} syllables heard in place)")
                        cand = Candidate(phrase, b, t, where(s0), where(e0 - 1) + 1, "frame",
                                         round(in_place / len(b), 3), how)
                        if keep is None or keep(cand):
                            return [cand]
                    at = sound.find(w, at + 1)
    return []


def _hanzi(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def introduces(brand: Brand, turn: Turn, start: int, end: int) -> bool:
    """Does the name at [start, end) of the turn introduce the speaker's side: it is not asked
    about ("您是在瑞丰官网买的还是…", "请问是瑞丰的用户吗"). Past the name come its trade word and
    suffixes, and 的, before what is read as a question."""
    norm = turn.norm
    if any(norm.endswith(q, max(0, start - len(q)), start) for q in brand.question_before):
        return False
    k = end
    cut = True
    while cut:
        cut = False
        for w in (*brand.strip, "的"):
            if norm.startswith(w, k):
                k += len(w)
                cut = True
                break
    return not any(norm.startswith(q, k) for q in brand.question_after)


BRAND_FILLERS = ("那个", "这个")


def _without_fillers(turn: Turn):
    """The turn's text as is, then (only if it holds one) without filler words, each with a
    map from its positions back to the turn's."""
    yield turn.norm, turn.sound, int
    norm = turn.norm
    if not any(f in norm for f in BRAND_FILLERS):
        return
    keep = [True] * len(norm)
    for f in BRAND_FILLERS:
        at = norm.find(f)
        while at >= 0:
            keep[at:at + len(f)] = [False] * len(f)
            at = norm.find(f, at + len(f))
    index = [i for i, k in enumerate(keep) if k]
    yield "".join(norm[i] for i in index), "".join(turn.sound[i] for i in index), index.__getitem__


def fuzzy_candidates(phrase: Phrase, patterns: list[Pattern], ct: CallText, turns: set[int]) -> list[Candidate]:
    """Best fuzzy alignment of each pattern in each turn, at or above the phrase's threshold.
    Runs on sound strings: one character per syllable, near sounds already folded."""
    cutoff = phrase.fuzzy * 100
    out = []
    for pattern in patterns:
        needle = "".join(pattern.sounds)
        if len(needle) < 3:
            continue
        for t in sorted(turns):
            turn = ct.turns[t]
            if not turn.sound:
                continue
            res = fuzz.partial_ratio_alignment(needle, turn.sound, score_cutoff=cutoff)
            if res is not None and res.dest_end > res.dest_start:
                out.append(Candidate(phrase, pattern.text, t, res.dest_start, res.dest_end, "fuzzy", round(res.score / 100, 3)))
    return out


def nearest(patterns: list[Pattern], ct: CallText, turns: list[int]) -> tuple[int, int, float] | None:
    """(turn, norm position, similarity) of the place closest to any of the patterns."""
    best: tuple[int, int, float] | None = None
    for pattern in patterns:
        needle = "".join(pattern.sounds)
        for t in turns:
            turn = ct.turns[t]
            if not turn.sound or not needle:
                continue
            res = fuzz.partial_ratio_alignment(needle, turn.sound)
            if res is None:
                continue
            score = res.score / 100
            if best is None or score > best[2]:
                best = (t, res.dest_start, score)
    return best
