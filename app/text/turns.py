"""Turn a call's utterances into turns, normalized and sound-encoded once, so every rule reads
the same text and positions map back to the input.

A turn is what one speaker says before the other takes the floor. On a real call the other
side's backchannels (嗯, 对, 是, 你好), noise fragments ("A") and short remarks spoken over the
speaker land between the speaker's fragments; those *interjections* do not end the turn. They
become minor turns of their own speaker: read by that speaker's rules, never counted in a
window of turns. Where an interjection stood, or the speaker paused, a clause may end
(`Turn.breaks`), though no punctuation was written.

Recorded prompts on the agent's channel (a satisfaction survey: "满意请按一 … 感谢您的来电再见")
are cut out of the agent's turns: from the fragment where a prompt marker starts to the end of
that turn the speech is a machine's, and no rule reads it.

On a line where one channel also carries the other side's voice, a fragment that repeats by
sound what the other side says at that moment is an echo (customer "不" / "清楚", and the same on
the agent's channel a few hundred ms later): it is nobody's speech of its own, and no rule reads
it (`CallText.echoes`). Without times no echo can be told from a reply, and none is looked for.

The whole call is normalized and encoded with a few numpy operations, then cut into turns.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from operator import attrgetter, sub

import numpy as np

from app.models import Call
from app.text.normalize import (
    DELETE,
    FINAL_PARTICLES,
    all_breaks,
    codes,
    decode,
    match_lut,
    normalize,
    sentence_end,
    source_map,
)

SEP = "\x00"  # kept by both tables, never part of a phrase
_TEXT, _SPEAKER, _START, _END = (attrgetter(name) for name in ("text", "speaker", "start_ms", "end_ms"))
PROMPT = "prompt"  # the speaker of a recorded prompt cut out of the agent's speech
ECHO = "echo"  # the speaker of a fragment that echoes the other side's voice
NOT_SPEECH = frozenset((PROMPT, ECHO))  # turns that are nobody's own speech


@dataclass(frozen=True)
class TurnPolicy:
    """What ends a turn and a clause. Compiled from the lexicon's `turns:` settings."""

    backchannels: frozenset[str] = frozenset()  # normalized words a listener says without taking the floor
    short_chars: int = 2  # a fragment this short (normalized) never takes the floor
    overlap_chars: int = 12  # nor does one this short that is spoken over the speaker
    pause_ms: int = 500  # a pause this long between a speaker's fragments may end a clause
    remark_ms: int = 1000  # a pause this long separates two remarks: no phrase is pieced together across it
    echo_ms: int = 500  # an echo starts within this long of the other side's words it repeats (0: none looked for)
    prompt_sounds: tuple[str, ...] = ()  # sound-encoded markers of recorded prompts
    prompt_texts: tuple[str, ...] = ()  # the same markers as written (for the note)
    only_backchannels: object = field(default=None, compare=False)  # fullmatch of backchannel words only
    backchannel_cache: dict = field(default_factory=dict, compare=False, repr=False)  # short text -> is_backchannel

    def __post_init__(self) -> None:
        words = sorted(self.backchannels, key=len, reverse=True)
        pattern = re.compile("(?:" + "|".join(map(re.escape, words)) + ")+") if words else None
        object.__setattr__(self, "only_backchannels", pattern.fullmatch if pattern else None)

    def is_backchannel(self, norm: str) -> bool:
        """True when `norm` is made of backchannel words only ("嗯嗯", "对对对", "喂你好")."""
        return not norm or (self.only_backchannels is not None and self.only_backchannels(norm) is not None)


def make_policy(backchannels=(), short_chars: int = 2, overlap_chars: int = 12, pause_ms: int = 500,
                prompts=(), sound_table: dict[int, str] | None = None, remark_ms: int = 1000,
                echo_ms: int = 500) -> TurnPolicy:
    prompts = tuple(p for p in prompts if normalize(p))
    sounds = tuple(normalize(p).translate(sound_table) if sound_table else normalize(p) for p in prompts)
    return TurnPolicy(frozenset(w for w in (normalize(b) for b in backchannels) if w), short_chars, overlap_chars,
                      pause_ms, remark_ms, echo_ms, sounds, prompts)


DEFAULT_POLICY = make_policy(["对", "是", "喂", "你好", "您好", "好", "好的", "行", "是的", "对的", "嗯好", "没错", "明白",
                              "明白了", "知道了", "可以", "没问题", "好嘞", "好吧", "行吧"])


class Turn:
    """One turn: its text normalized (`norm`), sound-encoded (`sound`, same length), and what
    is needed to map a position back to the utterance and character it came from."""

    __slots__ = ("index", "speaker", "utterances", "texts", "norm", "sound", "frag_starts", "minor", "joins",
                 "pauses", "cut_ins", "_breaks", "_marks", "_maps", "_words", "_sentences", "_questions", "found")

    def __init__(self, index: int, speaker: str, utterances: tuple[int, ...], texts: list[str], norm: str, sound: str,
                 frag_starts: tuple[int, ...], minor: bool = False, joins: tuple[int, ...] = (),
                 pauses: tuple[int, ...] = (), cut_ins: tuple[int, ...] = ()):
        self.index = index
        self.speaker = speaker
        self.utterances = utterances  # indexes into call.utterances, in order
        self.texts = texts  # original text of each fragment
        self.norm = norm
        self.sound = sound
        self.frag_starts = frag_starts  # where each fragment begins in `norm`
        self.minor = minor  # an interjection into another speaker's turn
        self.joins = joins  # fragment starts where the other speaker cut in or the speaker paused
        # fragment starts after the other side spoke and a pause of `remark_ms` or more went by
        # (timed calls): what comes after is another remark ("…帮您" / "喂" / a second later "好")
        self.pauses = pauses
        # fragment starts where the other side's interjection (嗯, 对) alone cut in, no pause:
        # the speaker may be going on with the same sentence
        self.cut_ins = cut_ins
        self._breaks = self._marks = self._maps = self._words = self._sentences = self._questions = None
        self.found: dict | None = None  # the matcher's per-turn findings (exceptions anywhere in the turn)

    def word_bounds(self, segmenter, start: int, end: int) -> tuple[int, frozenset[int] | set[int]]:
        """(offset, word boundaries) of the text up to 8 characters either side of
        [start, end), cut (jieba) when a check first needs it. Where the other speaker cut in
        or the speaker paused (`joins`) outside [start, end), no word runs on: each side is cut
        on its own."""
        lo = start - 8 if start > 8 else 0
        hi = min(len(self.norm), end + 8)
        joins = self.joins
        inner = tuple(j for j in joins[bisect_right(joins, lo):bisect_left(joins, hi)] if not start < j < end) \
            if joins else ()
        if self._words is None:
            self._words = {}
        key = (lo, hi, inner)
        cuts = self._words.get(key)
        if cuts is None:
            if not inner:
                cuts = segmenter.boundaries(self.norm[lo:hi])
            else:
                cuts = set()
                for a, b in zip([lo, *inner], [*inner, hi], strict=True):
                    cuts.update(a - lo + c for c in segmenter.boundaries(self.norm[a:b]))
            self._words[key] = cuts
        return lo, cuts

    def _map(self, k: int) -> list[int]:
        if self._maps is None:
            self._maps = {}
        m = self._maps.get(k)
        if m is None:
            m = self._maps[k] = source_map(self.texts[k])
        return m

    def breaks(self, segmenter=None) -> tuple[int, ...]:
        """Clause ends in `norm`: punctuation; the turn's two ends; where the other speaker cut
        in or the speaker paused (`joins`); after a sentence-final particle followed by more
        speech, unless jieba reads the particle as part of a word (酒吧, 吗啡)."""
        if self._breaks is None:
            self._find_breaks(segmenter, clauses=True)
        return self._breaks

    def sentence_breaks(self) -> tuple[int, ...]:
        """Sentence ends in `norm` (。？！ and the like, as written)."""
        if self._sentences is None:
            self._find_breaks(None, clauses=False)
        return self._sentences

    def question_ends(self) -> tuple[int, ...]:
        """Where a question mark was written, in `norm` (a subset of `sentence_breaks`)."""
        if self._sentences is None:
            self._find_breaks(None, clauses=False)
        return self._questions

    def _find_breaks(self, segmenter, clauses: bool) -> None:
        if self._sentences is None:  # the punctuation of each fragment, read once
            out: set[int] = {0, len(self.norm), *self.joins}
            sentences: list[int] = []
            questions: list[int] = []
            particles: list[int] = []
            for start, text in zip(self.frag_starts, self.texts, strict=True):
                clause, sentence, particle, question = all_breaks(text)
                out.update(start + b for b in clause)
                sentences.extend(start + b for b in sentence)
                questions.extend(start + b for b in question)
                particles.extend(start + b for b in particle)
            self._sentences = tuple(sentences)
            self._questions = tuple(questions)
            self._marks = (out, particles)
        if clauses and self._breaks is None:
            # (particles are checked against words only when a segmenter is given)
            out, particles = self._marks
            out = set(out)
            norm = self.norm
            for p in particles:
                if segmenter is not None and norm[p - 1:p] in FINAL_PARTICLES and (
                        segmenter.is_word(norm[p - 2:p]) or segmenter.is_word(norm[p - 1:p + 1])):
                    continue
                out.add(p)
            self._breaks = tuple(sorted(out))

    def unbroken(self, pos: int) -> bool:
        """Is there no possible clause end at `pos`: no punctuation, no particle, no join?
        (Read without jieba: a cheap first test before `breaks`.)"""
        if self._sentences is None:
            self._find_breaks(None, clauses=False)
        out, particles = self._marks
        return pos not in out and pos not in particles

    def clause_of(self, start: int, end: int, segmenter=None) -> tuple[int, int]:
        """The clause around [start, end): from the last break at or before `start` to the
        first break at or after `end`."""
        b = self.breaks(segmenter)
        i = bisect_right(b, start) - 1
        lo = b[max(i, 0)]
        j = bisect_left(b, end)
        hi = b[j] if j < len(b) else len(self.norm)
        return lo, max(hi, end)

    def locate(self, pos: int) -> tuple[int, int]:
        """(fragment number, offset in that fragment's norm) of a `norm` position."""
        k = bisect_right(self.frag_starts, pos) - 1
        return k, pos - self.frag_starts[k]

    def original(self, start: int, end: int) -> tuple[int, int, str]:
        """(utterance index, char offset, original text) of norm span [start, end). A span
        over several fragments gives the text of each, joined with " / " when the other
        speaker's words stood between them."""
        k0, o0 = self.locate(start)
        k1, o1 = self.locate(max(end - 1, start))
        map0 = self._map(k0)
        map1 = self._map(k1)
        first = map0[o0] if o0 < len(map0) else len(self.texts[k0])
        last = (map1[o1] + 1) if o1 < len(map1) else len(self.texts[k1])
        if k0 == k1:
            matched = self.texts[k0][first:last]
        else:
            pieces = [self.texts[k0][first:], *self.texts[k0 + 1:k1], self.texts[k1][:last]]
            seps = ["" if self.utterances[k + 1] == self.utterances[k] + 1 else " / " for k in range(k0, k1)]
            matched = pieces[0] + "".join(sep + piece for sep, piece in zip(seps, pieces[1:], strict=True))
        return self.utterances[k0], first, matched

    def evidence(self, start: int, end: int) -> tuple[int, int, str] | None:
        """`original(start, end)`, or None when a sentence ends (。？！ as written) between the
        first and the last character of the span: "…处理。好的" holds no 你好."""
        where = self.original(start, end)
        matched = where[2]
        if len(matched) > end - start and sentence_end().search(matched) is not None:
            return None
        return where

    def slice(self, k: int, index: int, speaker: str) -> Turn:
        """Fragments k.. of this turn as a turn of their own; this turn keeps the ones before."""
        cut = self.frag_starts[k]
        tail = Turn(index, speaker, self.utterances[k:], self.texts[k:], self.norm[cut:], self.sound[cut:],
                    tuple(f - cut for f in self.frag_starts[k:]))
        self.utterances, self.texts = self.utterances[:k], self.texts[:k]
        self.norm, self.sound = self.norm[:cut], self.sound[:cut]
        self.frag_starts = self.frag_starts[:k]
        self.joins = tuple(j for j in self.joins if j < cut)
        self.pauses = tuple(j for j in self.pauses if j < cut)
        self.cut_ins = tuple(j for j in self.cut_ins if j < cut)
        return tail


class Unread:
    """A turn of a speaker no rule reads: where it stands, not what it says."""

    __slots__ = ("index", "speaker", "utterances", "minor")

    def __init__(self, index: int, speaker: str, utterances: tuple[int, ...], minor: bool):
        self.index = index
        self.speaker = speaker
        self.utterances = utterances
        self.minor = minor


@dataclass
class Hold:
    """A silence the agent ends: the customer was waiting on the agent."""

    before: int  # utterance index just before the silence
    after: int  # utterance index that ends it (an agent utterance)
    gap_ms: int
    agent_turn: int | None  # the agent's last turn before the silence
    limit: int | None = None  # when that turn goes on after the silence: where, in its norm


def _group(speakers: list[str], starts: list[int | None], ends: list[int | None], lens: list[int],
           back: list[bool], small: list[bool], policy: TurnPolicy) -> list[tuple[str, list[int], bool]]:
    """Utterance indexes grouped into turns: (speaker, utterances, minor), ordered by their
    first utterance. `back[i]` says utterance i is a backchannel (fillers, backchannel words, a
    single character); `small[i]` that it is short enough to be an interjection at all.

    One speaker holds the floor at a time. The other speaker's backchannels never take it; nor
    does a short fragment, or a short remark begun while the speaker holding the floor was
    still speaking. Those become a minor turn of their speaker, one per speaker and floor turn.
    When the other speaker does take the floor, what they said since the floor speaker last
    said something goes with it ("我不" / "知道您之前联系的是哪位"), so a turn cut into short
    pieces stays whole."""
    short, overlap = policy.short_chars, policy.overlap_chars
    n = len(speakers)
    groups: list[tuple[str, list[int], bool]] = []
    append = groups.append
    interjected = False
    floor = None
    current: list[int] = []  # the utterances of the turn holding the floor
    minors: dict[str, list[int]] = {}
    i = 0
    for j in range(1, n + 1):  # each run i..j-1 of one speaker's utterances
        if j < n and speakers[j] == speakers[i]:
            continue
        s = speakers[i]
        if s == floor:  # the floor speaker goes on after an interjection
            current.extend(range(i, j))
            i = j
            continue
        if floor is not None and small[i]:
            floor_end = None  # when the floor speaker's speech (not backchannels) last ended
            for k in range(i, j):
                size = lens[k]
                if size <= short or back[k]:
                    continue
                if size > overlap or starts[k] is None:
                    break  # this one takes the floor
                if floor_end is None:
                    floor_end = max([ends[x] for x in current if not back[x] and ends[x] is not None], default=-1)
                if starts[k] >= floor_end:
                    break
            else:
                members = minors.get(s)
                if members is None:
                    members = minors[s] = []
                    append((s, members, True))
                    interjected = True
                members.extend(range(i, j))
                i = j
                continue
        if minors:
            # what the new speaker said since the floor speaker last said something goes along
            taken = minors.get(s)
            last_said = max([k for k in current if not back[k]], default=-1)
            if taken and taken[-1] > last_said:
                current = [k for k in taken if k > last_said]
                taken[:] = [k for k in taken if k <= last_said]
                current.extend(range(i, j))
            else:
                current = [i] if j == i + 1 else list(range(i, j))
            minors = {}
        else:
            current = [i] if j == i + 1 else list(range(i, j))
        floor = s
        append((s, current, False))
        i = j
    if interjected:
        groups = [g for g in groups if g[1]]
        groups.sort(key=lambda g: g[1][0])
    return groups


ECHO_MIN_CHARS = 2  # a single character (对, 嗯) repeated is no evidence of an echo
ECHO_LEAD_MS = 150  # an echo may seem to start this much before its original (the recognizer's times)
ECHO_EXACT_MS = 2000  # in a fragment this short, when each of its words was said is known well enough
ECHO_TIE_MS = 50  # the same words starting this close on both sides: which came first cannot be told


def find_echoes(speakers: list[str], starts: list[int], ends: list[int], lens: list[int], sound_of,
                window_ms: int, back: list[bool] | None = None) -> dict[int, int]:
    """Fragments that repeat by sound what the other speaker says at the same time: echo ->
    the fragment it repeats. A fragment is an echo when its sound (`sound_of(k)`, `lens[k]`
    characters, two or more) is found in the other side's speech that began before it and
    overlaps it or ended within `window_ms` of it, and it starts no earlier than those words
    were said and at most `window_ms` after (their time estimated within the fragment holding
    them): later than that it is a reply in the same words. The same words at the same moment
    on both sides (a tie) are the voice of the side that held the floor just before, echoed on
    the other channel. Needs times."""
    n = len(speakers)
    order = list(range(n))
    if starts != sorted(starts):
        order.sort(key=starts.__getitem__)
    s_starts = [starts[i] for i in order]
    most = list(accumulate((ends[i] for i in order), max))  # the latest end up to each place in `order`
    echoes: dict[int, int] = {}
    for p, i in enumerate(order):
        if lens[i] < ECHO_MIN_CHARS or (back is not None and back[i]) or i in echoes:
            continue
        start = starts[i]
        lo_t, who = start - window_ms, speakers[i]
        # the other side's fragments begun by the time this one starts (with the recognizer's
        # leeway) that reach it: walk back while anything could still reach, a step or two
        near = []
        q = p + 1
        while q < n and s_starts[q] <= start + ECHO_LEAD_MS:
            j = order[q]
            if speakers[j] != who and j not in echoes:
                near.append(j)
            q += 1
        q = p - 1
        while q >= 0 and most[q] >= lo_t:
            j = order[q]
            if speakers[j] != who and ends[j] >= lo_t and j not in echoes:
                near.append(j)
            q -= 1
        if not near:
            continue
        heard = sound_of(i)
        if len(near) == 1:  # the usual case: one fragment to look in
            sounds = [sound_of(near[0])]
            at = sounds[0].find(heard)
        else:
            near.sort(key=starts.__getitem__)
            sounds = [sound_of(j) for j in near]
            at = "".join(sounds).find(heard)
        if at < 0:
            continue
        pos, m = 0, 0  # the fragment holding the start of the repeated words, and where it begins
        while at >= pos + len(sounds[m]):
            pos += len(sounds[m])
            m += 1
        g, snd = near[m], sounds[m]
        span = ends[g] - starts[g]
        said = starts[g] + span * (at - pos) / max(1, len(snd))  # when those words began
        # (within a long fragment that time is a rough guess)
        if at == pos:  # its very beginning: when that was said is known
            slack = ECHO_TIE_MS
        else:
            slack = ECHO_LEAD_MS + (span // 5 if span > ECHO_EXACT_MS else 0)
        delay = start - said
        if delay < -slack:
            continue  # it came first: if anything, the other side repeats it
        if delay > window_ms + slack:
            continue  # said well after: a reply in the same words ("好的再见" / "再见")
        if snd == heard and abs(start - starts[g]) <= ECHO_TIE_MS:
            first = min(p, order.index(g))
            floor = next((speakers[j] for j in reversed(order[:first])
                          if j not in echoes and lens[j] >= ECHO_MIN_CHARS), None)
            if floor == who:  # a tie, and this side held the floor: the other is the echo
                echoes[g] = i
                continue
        echoes[i] = g
    return echoes


class CallText:
    """A call's text, normalized and sound-encoded, cut into turns."""

    def __init__(self, call: Call, sound_lut, speakers: frozenset[str] | None = None,
                 policy: TurnPolicy = DEFAULT_POLICY):
        utts = call.utterances
        texts = list(map(_TEXT, utts))
        speakers_of = list(map(_SPEAKER, utts))
        starts = list(map(_START, utts))
        ends = list(map(_END, utts))
        mapped = match_lut()[codes("".join(texts))]
        keep = mapped != DELETE
        kept = mapped[keep]
        # where each utterance starts and ends in the normalized text
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        nb_arr = kept_before[np.cumsum([0, *map(len, texts)])]
        nb: list[int] = nb_arr.tolist()
        self.nb = nb
        norm_all = self.norm_all = decode(kept)
        sound_all = self.sound_all = decode(sound_lut[kept])
        self.call = call
        self.texts = texts
        self.starts, self.ends, self.speakers = starts, ends, speakers_of
        self._in_order: bool | None = None  # are the start times in order (found when needed)
        self.timed = None not in starts and None not in ends
        self.policy = policy
        sizes = nb_arr[1:] - nb_arr[:-1]
        lens = sizes.tolist()
        # a backchannel: a single character, or backchannel words only (tested on the few
        # utterances short enough to be one)
        back = [False] * len(lens)
        known = policy.backchannel_cache
        for k in np.flatnonzero(sizes <= 8).tolist():
            if lens[k] <= 1:
                back[k] = True
                continue
            short = norm_all[nb[k]:nb[k + 1]]
            b = known.get(short)
            if b is None:
                b = policy.is_backchannel(short)
                if len(known) < 10_000:  # (the same few words again and again; a bound all the same)
                    known[short] = b
            back[k] = b

        pause, remark = policy.pause_ms, policy.remark_ms
        # echo -> the other side's fragment it repeats; such fragments are nobody's own speech
        self.echoes: dict[int, int] = {}
        if self.timed and policy.echo_ms and len(set(speakers_of)) > 1:
            self.echoes = find_echoes(speakers_of, starts, ends, lens, lambda k: sound_all[nb[k]:nb[k + 1]],
                                      policy.echo_ms, back)
        turns: list[Turn | Unread] = []
        merged: list[Turn] = []  # turns with the other side's words between their fragments
        self.utterance_turn = utterance_turn = [0] * len(utts)
        # The string the automaton scans: the turns some rule reads, separated by SEP; where
        # each turn starts there (-1 for a turn no rule reads); and whose turns are whose.
        offsets: list[int] = []
        scanned: list[str] = []
        scanned_norm: list[str] = []
        self._scanned: list[int] = []  # the turns in `joined`, and where each starts there
        self._starts: list[int] = []
        by: dict = {}
        pos = 0
        small = (sizes <= policy.overlap_chars).tolist()
        if self.echoes:
            kept_ids = [k for k in range(len(utts)) if k not in self.echoes]

            def only(values: list) -> list:
                return [values[k] for k in kept_ids]

            groups = [(speaker, [kept_ids[m] for m in members], minor) for speaker, members, minor in _group(
                only(speakers_of), only(starts), only(ends), only(lens), only(back), only(small), policy)]
            groups += [(ECHO, [k], True) for k in sorted(self.echoes)]
            groups.sort(key=lambda g: g[1][0])
        else:
            groups = _group(speakers_of, starts, ends, lens, back, small, policy)
        for speaker, members, minor in groups:
            index = len(turns)
            k = members[0]
            if speaker == ECHO or (speakers is not None and speaker not in speakers):
                turns.append(Unread(index, speaker, tuple(members), minor))
                offsets.append(-1)
                for k in members:
                    utterance_turn[k] = index
                continue
            if len(members) == 1:
                a, b = nb[k], nb[k + 1]
                norm, sound = norm_all[a:b], sound_all[a:b]
                turn = Turn(index, speaker, (k,), [texts[k]], norm, sound, (0,), minor)
                utterance_turn[k] = index
            else:
                frag_starts, joins, pauses, cut_ins, size, prev = [0], [], [], [], lens[k], k
                for k in members[1:]:
                    frag_starts.append(size)
                    gap = starts[k] - ends[prev] if ends[prev] is not None and starts[k] is not None else 0
                    if gap >= remark and k != prev + 1:
                        pauses.append(size)
                    if k != prev + 1 or gap >= pause:
                        joins.append(size)
                    if k != prev + 1 and gap < pause:
                        cut_ins.append(size)
                    size += lens[k]
                    prev = k
                if members[-1] - members[0] == len(members) - 1:
                    a, b = nb[members[0]], nb[members[-1] + 1]
                    norm, sound = norm_all[a:b], sound_all[a:b]
                else:
                    norm = "".join([norm_all[nb[k]:nb[k + 1]] for k in members])
                    sound = "".join([sound_all[nb[k]:nb[k + 1]] for k in members])
                turn = Turn(index, speaker, tuple(members), [texts[k] for k in members], norm, sound,
                            tuple(frag_starts), minor, tuple(joins), tuple(pauses), tuple(cut_ins))
                if members[-1] - members[0] != len(members) - 1:
                    merged.append(turn)
                for k in members:
                    utterance_turn[k] = index
            turns.append(turn)
            offsets.append(pos)
            self._scanned.append(index)
            self._starts.append(pos)
            scanned.append(sound)
            scanned_norm.append(norm)
            pos += len(norm) + 1
            lists = by.get(speaker)
            if lists is None:
                lists = by[speaker] = ([], [], [], [])
            every, major, first, own = lists
            every.append(index)
            if not minor:
                major.append(index)
            first.append(members[0])
            own.extend(members)
        self._by_speaker: dict = {}
        for speaker, (every, major, first, own) in by.items():
            self._by_speaker.update({(speaker, True): every, (speaker, False): major, (speaker, "first"): first,
                                     (speaker, "own"): own})
        self.turns = turns
        self.offsets = offsets
        self.joined = SEP.join(scanned)
        self.joined_norm = SEP.join(scanned_norm)
        self.prompts: list[tuple[int, str]] = []  # (first utterance, marker) of each prompt cut out
        markers = policy.prompt_sounds
        if markers and (any(m in sound_all for m in markers) or any(
                m in t.sound for t in merged if t.speaker == "agent" for m in markers)):
            # (a marker cut in two by the other side's words is whole only in the merged turn)
            self._reindex(self._cut_prompts(turns), speakers)

    def _reindex(self, turns: list, speakers: frozenset[str] | None) -> None:
        """Everything that depends on the turns' order, for a new list of turns."""
        self.turns = turns
        utterance_turn = self.utterance_turn
        offsets: list[int] = []
        scanned: list[str] = []
        scanned_norm: list[str] = []
        self._scanned, self._starts, self._by_speaker = [], [], {}
        pos = 0
        for t in turns:
            for k in t.utterances:
                utterance_turn[k] = t.index
            if t.speaker not in NOT_SPEECH and (speakers is None or t.speaker in speakers):
                offsets.append(pos)
                self._scanned.append(t.index)
                self._starts.append(pos)
                scanned.append(t.sound)
                scanned_norm.append(t.norm)
                pos += len(t.norm) + 1
            else:
                offsets.append(-1)
        self.offsets = offsets
        self.joined = SEP.join(scanned)
        self.joined_norm = SEP.join(scanned_norm)

    def _cut_prompts(self, turns: list[Turn]) -> list[Turn]:
        """Cut recorded prompts out of the agent's turns (see the module docstring)."""
        out: list[Turn] = []
        markers = tuple(zip(self.policy.prompt_sounds, self.policy.prompt_texts, strict=True))
        for t in turns:
            out.append(t)
            if t.speaker != "agent" or t.minor or not isinstance(t, Turn):
                continue
            found = [(at, text) for marker, text in markers if (at := t.sound.find(marker)) >= 0]
            if not found:
                continue
            at, text = min(found)
            k, _ = t.locate(at)
            self.prompts.append((t.utterances[k], text))
            if k == 0:
                t.speaker = PROMPT
            else:
                out.append(t.slice(k, 0, PROMPT))
        for i, t in enumerate(out):
            t.index = i
        return out

    def speaker_turn_ids(self, speaker: str, minor: bool = True) -> list[int]:
        """Indexes of the turns of `speaker` ("any" for agent and customer), in order; with
        `minor=False` only the turns that took the floor."""
        ids = self._by_speaker.get((speaker, minor))
        if ids is None:
            if speaker == "any":
                ids = [t.index for t in self.turns if t.speaker not in NOT_SPEECH and (minor or not t.minor)]
            else:
                ids = [t.index for t in self.turns if t.speaker == speaker and (minor or not t.minor)]
            self._by_speaker[speaker, minor] = ids
        return ids

    def first_utterances(self, speaker: str) -> list[int]:
        """The first utterance of each of `speaker`'s turns (`speaker_turn_ids`), in order."""
        found = self._by_speaker.get((speaker, "first"))
        if found is None:
            turns = self.turns
            found = self._by_speaker[speaker, "first"] = [turns[t].utterances[0] for t in self.speaker_turn_ids(speaker)]
        return found

    def turn_set(self, speaker: str) -> frozenset[int]:
        found = self._by_speaker.get((speaker, "set"))
        if found is None:
            found = self._by_speaker[speaker, "set"] = frozenset(self.speaker_turn_ids(speaker))
        return found

    def within_seconds(self, speaker: str | None, first: float | None = None, last: float | None = None) -> list[int]:
        """Indexes of the utterances that start within the first `first` seconds, or end within
        the last `last` seconds, of the call or of `speaker`'s speech (recorded prompts are not
        anyone's speech). Needs times (`timed`)."""
        starts, ends = self.starts, self.ends
        span = self._by_speaker.get(("span", speaker))
        if span is None:
            if speaker is None:
                own = range(len(starts))
            else:
                own = self._by_speaker.get((speaker, "own"))
                if own is None:
                    own = [k for t in self.speaker_turn_ids(speaker) for k in self.turns[t].utterances]
            span = self._by_speaker["span", speaker] = (
                (min(map(starts.__getitem__, own)), max(map(ends.__getitem__, own))) if own else ())
        if not span:
            return []
        if self._in_order is None:
            self._in_order = starts == sorted(starts)
        if first is not None:
            edge = span[0] + first * 1000
            if self._in_order:  # times in order: the utterances before the edge are a prefix
                return list(range(bisect_left(starts, edge)))
            return [k for k, s in enumerate(starts) if s < edge]
        edge = span[1] - last * 1000
        if self._in_order:
            # Those that start after the edge end after it; of the others only one that starts
            # less than the longest utterance before the edge can.
            longest = max(map(sub, ends, starts))
            m = bisect_right(starts, edge)
            lo = bisect_left(starts, edge - longest)
            return [k for k in range(lo, m) if ends[k] > edge] + list(range(m, len(starts)))
        return [k for k, e in enumerate(ends) if e > edge]

    def turn_of(self, utterance: int) -> int:
        return self.utterance_turn[utterance]

    def turn_at(self, pos: int) -> int:
        """The turn a position of `joined` falls in (only scanned turns have text there)."""
        return self._scanned[bisect_right(self._starts, pos) - 1]

    def holds(self, min_ms: int) -> list[Hold]:
        """Silences of at least `min_ms` that the agent ends by speaking."""
        if not self.timed:
            return []
        speakers, starts, ends = self.speakers, self.starts, self.ends
        found = []
        last_end = ends[0]
        for i in range(1, len(starts)):
            if starts[i] - last_end >= min_ms and speakers[i] == "agent" and self.turns[self.utterance_turn[i]].speaker not in NOT_SPEECH:
                found.append((i, starts[i] - last_end))
            if ends[i] > last_end:
                last_end = ends[i]
        out = []
        for i, gap in found:
            before = next((j for j in range(i - 1, -1, -1) if speakers[j] == "agent"), None)
            t = self.turn_of(before) if before is not None else None
            limit = None
            if t is not None and t == self.turn_of(i):  # the silence falls inside one agent turn
                turn = self.turns[t]
                limit = turn.frag_starts[turn.utterances.index(i)]
            out.append(Hold(i - 1, i, gap, t, limit))
        return out


def build_call_text(call: Call, sound_lut, speakers: frozenset[str] | None = None,
                    policy: TurnPolicy = DEFAULT_POLICY) -> CallText:
    """Normalize and sound-encode a call and cut it into turns. Only turns of `speakers` go
    into the string the automaton scans."""
    return CallText(call, sound_lut, speakers, policy)
