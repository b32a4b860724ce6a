"""Find blunt answers (生硬的回答) by their grammar: who, adverbs, a core, particles, and what
follows, read around each core the automaton finds in the agent's turns.

    [topic] [who] [adverbs] CORE [particles] (clause ends | dismissal | excuse)

- the core is found by its sound (不智道), at most one character of a short core written
  otherwise, standing on word boundaries (不行驶 holds no 不行), and not a real other word
  (步行);
- before it, in its clause: the agent's side (我, 我们这边, 小李这边), adverbs (也, 实在), a topic
  (这个问题, 周末 for 不行). It is innocent when someone else does not know (您不知道, 他也不
  清楚), when a condition, a cause or a quote comes first (如果…不行, 因为我不知道…, 您是说…),
  when 不行 is a thing's state (还是不行, 空调不行), or a sense's limit (听不清楚);
- after it: particles, then the end of its clause, a dismissal (你等着吧, 您问商家吧), or an
  excuse (那天不是我值班). Anything else in the clause makes it part of a longer sentence (不知道
  您方便吗, 没办法给您直接开通, 不清楚的话…): innocent. A refusal that opens its clause stays a
  refusal ("不行这个不能退");
- a question is no answer (…不知道吗, written ？), and help offered right after it in the turn
  (我帮您查一下, 给您登记) makes it no blunt one;
- it answers the customer: it comes after the customer's first turn, where the customer speaks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from app.lexicon.answers import Answers, Core
from app.lexicon.compiler import SCOPE_REACH, CompiledLexicon
from app.match.matcher import Candidate, asks, sound_slips_allowed
from app.text.turns import CallText, Turn

NAME_CHARS = 3  # the longest name before 这边 taken as the agent's self-reference (小李这边)
QUOTE_REACH = 10  # how far before the core a quote marker may stand in its sentence
CONDITION_REACH = 12  # how far before it a condition may begin (如果那个您还是 / 不清楚)
FILLER = "那个"  # a filler ASR keeps as a word
ASKED_CHARS = 16  # how far past a pause a clause that asks may go on from the core
ASKED_SENTENCE = 24  # how far after the core a question mark may close its sentence and make it a question
# How far after the answer help may start and still be the help that answers it ("我不太清楚，
# 我帮您查一下"), not something said later in a long turn about another matter: the reach of
# a `scope: after` exception.
HELP_REACH = SCOPE_REACH["after"]


def blunt_candidates(g: Answers, lex: CompiledLexicon, ct: CallText, turns: set[int]) -> list[Candidate]:
    """Every blunt answer in the given turns (agent turns, in practice). The cores are found by
    one automaton pass over the call's scanned text, as the phrases are (matcher.scan)."""
    if not ct.joined:
        return []
    # (a transcript of the agent alone: every turn answers; a customer who only said 喂: none)
    first_question = next((t.index for t in ct.turns if t.speaker == "customer" and not t.minor), None)
    if first_question is None:
        first_question = len(ct.turns) if any(t.speaker == "customer" for t in ct.turns) else -1
    by_turn: dict[int, list] = {}
    offsets, turn_at = ct.offsets, ct.turn_at
    for end_pos, (length, ids) in g.automaton.iter(ct.joined):
        t = turn_at(end_pos)
        if t in turns and t >= first_question:  # (before the customer asks anything, nothing is an answer)
            end = end_pos + 1 - offsets[t]
            by_turn.setdefault(t, []).append((end - length, end, ids))
    out = []
    for t, found in sorted(by_turn.items()):
        turn = ct.turns[t]
        found.sort(key=lambda f: f[0] - f[1])
        judged: list[tuple[int, int]] = []
        for start, end, ids in found:  # longest first: 不清楚 inside 搞不清楚 is judged as that
            if any(a <= start and end <= b for a, b in judged):
                continue
            judged.append((start, end))
            for i in ids:
                cand = judge(g.cores[i], g, lex, turn, t, start, end, ct.timed)
                if cand is not None:
                    out.append(cand)
                    break
    return out


def judge(core: Core, g: Answers, lex: CompiledLexicon, turn: Turn, t: int, start: int, end: int,
          timed: bool = True) -> Candidate | None:
    """The core found at [start, end) of the turn as a blunt answer, or None."""
    norm, sound = turn.norm, turn.sound
    heard = norm[start:end]
    slips = sum(a != b for a, b in zip(heard, core.text, strict=True))
    if slips > sound_slips_allowed(len(core.text)) or (slips and lex.segmenter.is_word(heard)):
        return None
    # -- what rules it out at once, read around the core within its sentence as written (most
    # cores found are innocent: this spares finding their clause)
    states = g.states.get(core.kind)
    bare = start - 2 if norm.endswith(FILLER, 0, start) else start  # (还是那个不行)
    repeated = norm.endswith(core.text, 0, start)  # 不行不行: said twice, not 行不行
    if states is not None and not repeated and states.ends(norm, sound, bare):
        return None
    # a condition or a question form may stand in an earlier clause of the sentence (如果 / 没办法
    # 开机的话), or hold the core itself (知不知道, 行不行)
    sentence_from = _sentence_start(turn, start)
    if g.conditions.within(norm, sound, max(sentence_from, start - CONDITION_REACH), end) or _quoted(g, turn, start):
        return None
    pos = _strip(g.adverbs, norm, sound, start, sentence_from)
    if not g.who.ends(norm, sound, pos) and g.subjects.ends(norm, sound, pos):
        return None  # someone else does not know (您不知道, 很多用户都不知道)
    embedded = g.embedded.get(core.kind)
    if embedded is not None and turn.unbroken(end) and embedded.starts(norm, sound, end) \
            and not g.dismissals.starts(norm, sound, end):
        return None  # 不知道您…, 不清楚的话, 没办法给您…
    lo, hi = turn.clause_of(start, end, lex.segmenter)
    # where the recognizer began a fragment, a clause may begin too (it cuts where the speaker
    # paused): "…不会扣费" / "不行这个不能退". At its end, the other side's 嗯 alone, with no pause,
    # does not end the answer: "不晓得 / 嗯 / 不要紧" goes on.
    frags = turn.frag_starts
    # who and adverbs are read back across the other side's interjections and the recognizer's
    # cuts inside a word ("客户一般" / 嗯 / "都不晓得")
    said_from = lo
    breaks = turn.breaks(lex.segmenter)
    joins = turn.joins
    while said_from > 0 and (said_from in turn.cut_ins or said_from in joins and not _word_boundary(lex, turn, said_from)):
        said_from = breaks[bisect_left(breaks, said_from) - 1]
    lo = said_from
    cut = frags[bisect_right(frags, start) - 1]
    if cut > lo and _word_boundary(lex, turn, cut):  # (not where it cut a word: "这个肯" / "定不行")
        lo = cut
    if not timed:  # with no times, where one fragment ends is all there is to tell a pause by
        k = bisect_left(frags, end)
        if k < len(frags) and frags[k] < hi and _word_boundary(lex, turn, frags[k]):
            hi = frags[k]
    written = turn.sentence_breaks()
    if asks(turn, end, hi) or _asked_sentence(turn, end):
        return None
    # -- before it
    pos = _strip(g.adverbs, norm, sound, start, said_from)
    who = g.who.ends(norm, sound, pos) if pos > said_from else 0
    if not who and pos > said_from and g.who_after_name.ends(norm, sound, pos):
        who = g.who_after_name.ends(norm, sound, pos)
        who += min(NAME_CHARS, pos - who - said_from)  # the name before 这边
    left = pos - who
    left = _strip(g.adverbs, norm, sound, left, said_from)
    lo = min(lo, left)
    topic = norm[lo:left]
    if core.kind == "refuse" and topic and not (g.topics.ends(norm, sound, left) or g.lead.starts(norm, sound, lo) == len(topic)):
        return None  # 空调不行, 信号不行: a thing's state, not a refusal
    if core.needs_topic and not (topic and g.topics.ends(norm, sound, left)):
        return None  # "不可以的哈，本身就不支持": answers a question of fact
    # -- after it
    k = end
    # what follows is read up to the end of its sentence as written, across the clause ends a
    # pause or the other side's 嗯 make ("不行 / 对 / 的话我们再安排" is still a condition)
    sentences = turn.sentence_breaks()
    i = bisect_left(sentences, end)
    said_to = sentences[i] if i < len(sentences) else len(norm)
    while k < said_to:  # past particles and fillers (不行，那个，的话 is a condition too)
        if (k in breaks or k == hi) and (k not in turn.cut_ins or k in written):
            # a particle, a comma or a pause ends it (不晓得呀 / 您的工单…), unless what follows
            # is its condition (不行 / (pause) / 的话…) or, for not knowing, the question of what is
            # not known (我不知道 / (pause) / 您之前联系的是哪位, 不清楚啊您那边具体是什么情况)
            if norm.startswith("的话", k) or core.kind == "know" and not g.openers.starts(norm, sound, k) \
                    and g.asked.within(norm, sound, k, min(said_to, k + ASKED_CHARS)):
                return None
            break
        if embedded is not None and embedded.starts(norm, sound, k) and not g.dismissals.starts(norm, sound, k):
            return None  # 不知道您…, 不清楚的话, 没办法给您…
        n = g.particles.starts(norm, sound, k)
        if not n:
            break
        k += n
    how = None
    finish = k
    if k >= hi and (hi not in turn.cut_ins or hi in written or g.openers.starts(norm, sound, hi)):
        how = "and its clause ends"  # (past the other side's 嗯, a new sentence: "不知道 / 好吧 / 好的再见")
    elif (n := g.dismissals.starts(norm, sound, k)):
        how, finish = f"and a dismissal {norm[k:k + n]!r}", k + n
    elif (n := g.excuses.starts(norm, sound, k)):
        how, finish = f"and an excuse {norm[k:k + n]!r}", k + n
    elif core.kind == "refuse" and (not topic or g.lead.starts(norm, sound, lo) == len(topic)) \
            and (k > end or g.lead.starts(norm, sound, k)):
        # a refusal opening its clause, then why: "不行这个不能退", "不行，那个…" (not 不可以 + what
        # cannot be done, a modal: "目前不可以快捷选择…")
        how = f"opening its clause before {norm[k:min(hi, k + 8)]!r}"
    if how is None:
        return None
    helped = g.help.within(norm, sound, finish, min(len(norm), finish + HELP_REACH))
    if helped:
        return None  # help offered later in the turn: 我不太清楚，我帮您查一下
    if not _own_word(g, lex, turn, start, end):
        return None
    begin = left if who or left < pos else pos
    where = turn.evidence(begin, finish) or turn.evidence(start, end)
    if where is None:
        return None
    said = norm[begin:start]
    detail = f"blunt answer: {said + ' + ' if said else ''}{heard!r}{' + ' + norm[end:k] if k > end else ''} {how}"
    # (similarity: the share of the core's characters that sound as it does: all of them)
    return Candidate(None, core.text, t, begin, finish, "pinyin" if slips else "exact", 1.0, detail, where)


def _strip(words, norm: str, sound: str, pos: int, lo: int) -> int:
    """Move back over any of `words` ending at pos, not past lo."""
    while pos > lo:
        n = words.ends(norm, sound, pos)
        if not n or pos - n < lo:
            break
        pos -= n
    return pos


def _asked_sentence(turn: Turn, end: int) -> bool:
    """The sentence holding the core, as written, closes with a question mark soon after it, in
    the same fragment ("…没有办法，现在只能把这个关了是吗？"): it asks, whoever asks it."""
    sentences = turn.sentence_breaks()
    i = bisect_left(sentences, end)
    if i == len(sentences) or sentences[i] - end > ASKED_SENTENCE or sentences[i] not in turn.question_ends() \
            or turn.norm[sentences[i] - 1] == "吧":
        return False
    frags = turn.frag_starts  # (in the fragment that holds the core: the next one may be another's words)
    k = bisect_right(frags, end - 1)
    return k == len(frags) or sentences[i] <= frags[k]


def _own_word(g: Answers, lex: CompiledLexicon, turn: Turn, start: int, end: int) -> bool:
    """Does the core stand as a word of its own: it does not run into a longer word (不行驶,
    however the recognizer cut it), and what a dictionary word holding its start begins with is
    an adverb (真不知道, 这都不知道), nothing else? (Checked last: jieba is the costliest step.)"""
    norm = turn.norm
    lo_w, cuts = turn.word_bounds(lex.segmenter, start, end)
    if (end - lo_w) not in cuts:
        return False
    joins = turn.joins  # (word_bounds reads each side of a join apart: read it straight on too)
    j = bisect_left(joins, end)
    if j < len(joins) and joins[j] <= end + 4 and not _reads_apart(lex, norm, end):
        return False
    if (start - lo_w) not in cuts:
        word_start = lo_w + max(c for c in cuts if c < start - lo_w)
        if _strip(g.adverbs, norm, turn.sound, start, word_start) != word_start:
            return False
    return True


def _reads_apart(lex: CompiledLexicon, norm: str, pos: int) -> bool:
    """Is `pos` a word boundary of the text read straight on, fragments or not ("不行" / "驶的
    时候" reads 不行驶)?"""
    lo = max(0, pos - 4)
    return (pos - lo) in lex.segmenter.boundaries(norm[lo:pos + 4])


def _word_boundary(lex: CompiledLexicon, turn: Turn, pos: int) -> bool:
    lo, cuts = turn.word_bounds(lex.segmenter, pos, pos)
    return (pos - lo) in cuts


def _sentence_start(turn: Turn, pos: int) -> int:
    """Where the sentence holding `pos` begins, as written (。？！), or 0."""
    sentences = turn.sentence_breaks()
    i = bisect_left(sentences, pos) - 1
    return sentences[i] if i >= 0 else 0


def _quoted(g: Answers, turn: Turn, start: int) -> bool:
    """A quote marker (您是说, 师傅说) ends shortly before the core, in the same sentence."""
    lo = max(_sentence_start(turn, start), start - QUOTE_REACH - 4)
    return g.quotes.within(turn.norm, turn.sound, lo, start)
