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

The whole call is normalized and encoded with a few numpy operations, then cut into turns.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import numpy as np

from app.models import Call
from app.text.normalize import (
    DELETE,
    FINAL_PARTICLES,
    clause_breaks,
    codes,
    decode,
    match_lut,
    normalize,
    particle_breaks,
    sentence_breaks,
    source_map,
)

SEP = "\x00"  # kept by both tables, never part of a phrase
PROMPT = "prompt"  # the speaker of a recorded prompt cut out of the agent's speech


@dataclass(frozen=True)
class TurnPolicy:
    """What ends a turn and a clause. Compiled from the lexicon's `turns:` settings."""

    backchannels: frozenset[str] = frozenset()  # normalized words a listener says without taking the floor
    short_chars: int = 2  # a fragment this short (normalized) never takes the floor
    overlap_chars: int = 12  # nor does one this short that is spoken over the speaker
    pause_ms: int = 500  # a pause this long between a speaker's fragments may end a clause
    prompt_sounds: tuple[str, ...] = ()  # sound-encoded markers of recorded prompts
    prompt_texts: tuple[str, ...] = ()  # the same markers as written (for the note)
    _longest: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_longest", max(map(len, self.backchannels), default=0))

    def is_backchannel(self, norm: str) -> bool:
        """True when `norm` is made of backchannel words only ("嗯嗯", "对对对", "喂你好")."""
        words = self.backchannels
        i, n = 0, len(norm)
        while i < n:
            for size in range(min(self._longest, n - i), 0, -1):
                if norm[i:i + size] in words:
                    i += size
                    break
            else:
                return False
        return True


def make_policy(backchannels=(), short_chars: int = 2, overlap_chars: int = 12, pause_ms: int = 500,
                prompts=(), sound_table: dict[int, str] | None = None) -> TurnPolicy:
    prompts = tuple(p for p in prompts if normalize(p))
    sounds = tuple(normalize(p).translate(sound_table) if sound_table else normalize(p) for p in prompts)
    return TurnPolicy(frozenset(w for w in (normalize(b) for b in backchannels) if w), short_chars, overlap_chars,
                      pause_ms, sounds, prompts)


DEFAULT_POLICY = make_policy(["对", "是", "喂", "你好", "您好", "好", "好的", "行", "是的", "对的", "嗯好", "没错", "a"])


class Turn:
    """One turn: its text normalized (`norm`), sound-encoded (`sound`, same length), and what
    is needed to map a position back to the utterance and character it came from."""

    __slots__ = ("index", "speaker", "utterances", "texts", "norm", "sound", "frag_starts", "minor", "joins",
                 "_breaks", "_maps", "_words", "_sentences")

    def __init__(self, index: int, speaker: str, utterances: tuple[int, ...], texts: list[str], norm: str, sound: str,
                 frag_starts: tuple[int, ...], minor: bool = False, joins: tuple[int, ...] = ()):
        self.index = index
        self.speaker = speaker
        self.utterances = utterances  # indexes into call.utterances, in order
        self.texts = texts  # original text of each fragment
        self.norm = norm
        self.sound = sound
        self.frag_starts = frag_starts  # where each fragment begins in `norm`
        self.minor = minor  # an interjection into another speaker's turn
        self.joins = joins  # fragment starts where the other speaker cut in or the speaker paused
        self._breaks = self._maps = self._words = self._sentences = None

    def word_bounds(self, segmenter, start: int, end: int) -> tuple[int, set[int]]:
        """(offset, word boundaries) of the text up to 8 characters either side of
        [start, end), cut (jieba) when a check first needs it. Where the other speaker cut in
        or the speaker paused (`joins`) outside [start, end), no word runs on: each side is cut
        on its own."""
        lo = start - 8 if start > 8 else 0
        hi = min(len(self.norm), end + 8)
        inner = tuple(j for j in self.joins if lo < j < hi and not start < j < end)
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
            out: set[int] = {0, len(self.norm), *self.joins}
            norm = self.norm
            for start, text in zip(self.frag_starts, self.texts, strict=True):
                out.update(start + b for b in clause_breaks(text))
                for b in particle_breaks(text):
                    p = start + b
                    if segmenter is not None and norm[p - 1:p] in FINAL_PARTICLES and (
                            segmenter.is_word(norm[p - 2:p]) or segmenter.is_word(norm[p - 1:p + 1])):
                        continue
                    out.add(p)
            self._breaks = tuple(sorted(out))
        return self._breaks

    def sentence_breaks(self) -> tuple[int, ...]:
        """Sentence ends in `norm` (。？！ and the like, as written); computed when first needed."""
        if self._sentences is None:
            out: set[int] = set()
            for start, text in zip(self.frag_starts, self.texts, strict=True):
                out.update(start + b for b in sentence_breaks(text))
            self._sentences = tuple(sorted(out))
        return self._sentences

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

    def slice(self, k: int, index: int, speaker: str) -> Turn:
        """Fragments k.. of this turn as a turn of their own; this turn keeps the ones before."""
        cut = self.frag_starts[k]
        tail = Turn(index, speaker, self.utterances[k:], self.texts[k:], self.norm[cut:], self.sound[cut:],
                    tuple(f - cut for f in self.frag_starts[k:]))
        self.utterances, self.texts = self.utterances[:k], self.texts[:k]
        self.norm, self.sound = self.norm[:cut], self.sound[:cut]
        self.frag_starts = self.frag_starts[:k]
        self.joins = tuple(j for j in self.joins if j < cut)
        return tail


@dataclass
class Hold:
    """A silence the agent ends: the customer was waiting on the agent."""

    before: int  # utterance index just before the silence
    after: int  # utterance index that ends it (an agent utterance)
    gap_ms: int
    agent_turn: int | None  # the agent's last turn before the silence
    limit: int | None = None  # when that turn goes on after the silence: where, in its norm


def _group(call: Call, lens: list[int], norms, policy: TurnPolicy) -> list[tuple[str, list[int], bool]]:
    """Utterance indexes grouped into turns: (speaker, utterances, minor), ordered by their
    first utterance.

    One speaker holds the floor at a time. The other speaker's backchannels (fillers,
    backchannel words, a single character) never take it; nor does a short fragment, or a
    short remark begun while the speaker holding the floor was still speaking. Those become a
    minor turn of their speaker, one per speaker and floor turn. When the other speaker does
    take the floor, what they said since the floor speaker last said something goes with it
    ("我不" / "知道您之前联系的是哪位"), so a turn cut into short pieces stays whole."""
    utts = call.utterances
    back = [size <= 1 or policy.is_backchannel(norms(k)) for k, size in enumerate(lens)]
    groups: list[tuple[str, list[int], bool]] = []
    floor = None
    floor_end = -1  # when the floor speaker's speech (not backchannels) last ended
    last_said = -1  # the floor speaker's last utterance that was not a backchannel
    minors: dict[str, list[int]] = {}
    for i, u in enumerate(utts):
        s = u.speaker
        if s == floor:
            _floor_group(groups).append(i)
        elif floor is not None and (back[i] or lens[i] <= policy.short_chars or (
                lens[i] <= policy.overlap_chars and u.start_ms is not None and u.start_ms < floor_end)):
            _minor(groups, minors, s).append(i)
            continue
        else:
            pending = [k for k in minors.get(s, ()) if k > last_said]
            if pending:
                kept = [k for k in minors[s] if k <= last_said]
                minors[s][:] = kept
            floor = s
            floor_end = -1
            minors = {}
            groups.append((s, [*pending, i], False))
        if not back[i]:
            last_said = i
            if u.end_ms is not None and u.end_ms > floor_end:
                floor_end = u.end_ms
    groups = [g for g in groups if g[1]]
    groups.sort(key=lambda g: g[1][0])
    return groups


def _floor_group(groups: list[tuple[str, list[int], bool]]) -> list[int]:
    """The utterances of the turn holding the floor (the last major turn)."""
    for _speaker, members, minor in reversed(groups):
        if not minor:
            return members
    raise AssertionError("no turn holds the floor")  # pragma: no cover - _group opens one first


def _minor(groups: list[tuple[str, list[int], bool]], minors: dict[str, list[int]], speaker: str) -> list[int]:
    members = minors.get(speaker)
    if members is None:
        members = minors[speaker] = []
        groups.append((speaker, members, True))
    return members


class CallText:
    """A call's text, normalized and sound-encoded, cut into turns."""

    def __init__(self, call: Call, sound_lut, speakers: frozenset[str] | None = None,
                 policy: TurnPolicy = DEFAULT_POLICY):
        utts = call.utterances
        texts = [u.text for u in utts]
        mapped = match_lut()[codes("".join(texts))]
        keep = mapped != DELETE
        kept = mapped[keep]
        # where each utterance starts and ends in the normalized text
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        nb: list[int] = kept_before[np.cumsum([0] + [len(t) for t in texts])].tolist()
        self.nb = nb
        norm_all = self.norm_all = decode(kept)
        sound_all = self.sound_all = decode(sound_lut[kept])
        self.call = call
        self.texts = texts
        self.timed = all(u.start_ms is not None and u.end_ms is not None for u in utts)
        self.policy = policy
        lens = [b - a for a, b in zip(nb, nb[1:], strict=False)]
        groups = _group(call, lens, lambda k: norm_all[nb[k]:nb[k + 1]], policy)
        turns: list[Turn] = []
        for speaker, members, minor in groups:
            frag_starts, pos, joins = [], 0, []
            for x, k in enumerate(members):
                frag_starts.append(pos)
                if x and (k != members[x - 1] + 1 or self._paused(members[x - 1], k)):
                    joins.append(pos)
                pos += lens[k]
            if len(members) == 1 or members[-1] - members[0] == len(members) - 1:
                a, b = nb[members[0]], nb[members[-1] + 1]
                norm, sound = norm_all[a:b], sound_all[a:b]
            else:
                norm = "".join(norm_all[nb[k]:nb[k + 1]] for k in members)
                sound = "".join(sound_all[nb[k]:nb[k + 1]] for k in members)
            turns.append(Turn(len(turns), speaker, tuple(members), [texts[k] for k in members], norm, sound,
                              tuple(frag_starts), minor, tuple(joins)))
        self.prompts: list[tuple[int, str]] = []  # (first utterance, marker) of each prompt cut out
        if policy.prompt_sounds:
            turns = self._cut_prompts(turns)
        self.turns = turns
        self.turn_speakers = [t.speaker for t in turns]
        self.utterance_turn = [0] * len(utts)
        for t in turns:
            for k in t.utterances:
                self.utterance_turn[k] = t.index
        # The scanned string: the turns some rule reads, separated by SEP.
        offsets: list[int] = []
        scanned: list[str] = []
        scanned_norm: list[str] = []
        pos = 0
        for turn in turns:
            if turn.speaker != PROMPT and (speakers is None or turn.speaker in speakers):
                offsets.append(pos)
                scanned.append(turn.sound)
                scanned_norm.append(turn.norm)
                pos += len(turn.norm) + 1
            else:
                offsets.append(-1)
        self.offsets = offsets  # where each turn starts in `joined`; -1 for a turn not scanned
        self.joined = SEP.join(scanned)
        self.joined_norm = SEP.join(scanned_norm)
        self._scanned = [t for t, off in enumerate(offsets) if off >= 0]
        self._starts = [offsets[t] for t in self._scanned]
        self._by_speaker: dict[tuple[str, bool], list[int]] = {}

    def _paused(self, a: int, b: int) -> bool:
        ua, ub = self.call.utterances[a], self.call.utterances[b]
        return ua.end_ms is not None and ub.start_ms is not None and ub.start_ms - ua.end_ms >= self.policy.pause_ms

    def _cut_prompts(self, turns: list[Turn]) -> list[Turn]:
        """Cut recorded prompts out of the agent's turns (see the module docstring)."""
        out: list[Turn] = []
        markers = tuple(zip(self.policy.prompt_sounds, self.policy.prompt_texts, strict=True))
        for t in turns:
            out.append(t)
            if t.speaker != "agent" or t.minor:
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
        key = (speaker, minor)
        ids = self._by_speaker.get(key)
        if ids is None:
            ids = self._by_speaker[key] = [t.index for t in self.turns
                                           if (t.speaker == speaker or (speaker == "any" and t.speaker != PROMPT))
                                           and (minor or not t.minor)]
        return ids

    def turn_of(self, utterance: int) -> int:
        return self.utterance_turn[utterance]

    def turn_at(self, pos: int) -> int:
        """The turn a position of `joined` falls in (only scanned turns have text there)."""
        return self._scanned[bisect_right(self._starts, pos) - 1]

    def holds(self, min_ms: int) -> list[Hold]:
        """Silences of at least `min_ms` that the agent ends by speaking."""
        if not self.timed:
            return []
        utts = self.call.utterances
        found = []
        last_end = -1
        for i, u in enumerate(utts):
            if i and u.speaker == "agent" and u.start_ms - last_end >= min_ms:
                found.append((i, u.start_ms - last_end))
            if u.end_ms > last_end:
                last_end = u.end_ms
        out = []
        for i, gap in found:
            before = next((j for j in range(i - 1, -1, -1) if utts[j].speaker == "agent"), None)
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
