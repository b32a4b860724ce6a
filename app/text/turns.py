"""Turn a call's utterances into turns: consecutive fragments of one speaker, normalized and
sound-encoded once, so every rule reads the same text and positions map back to the input.

The whole call is normalized and encoded with a few numpy operations, then cut into turns.
(Making Turn objects only on demand was measured too: no faster, so the simpler form stays.)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from app.models import Call
from app.text.normalize import DELETE, clause_breaks, codes, decode, match_lut, sentence_breaks, source_map

SEP = "\x00"  # kept by both tables, never part of a phrase


class Turn:
    """One turn: its text normalized (`norm`), sound-encoded (`sound`, same length), and what
    is needed to map a position back to the utterance and character it came from."""

    __slots__ = ("index", "speaker", "utterances", "texts", "norm", "sound", "frag_starts", "start_ms", "end_ms",
                 "_breaks", "_maps", "_words", "_sentences")

    def __init__(self, index: int, speaker: str, utterances: range, texts: list[str], norm: str, sound: str,
                 frag_starts: tuple[int, ...], start_ms: int | None, end_ms: int | None):
        self.index = index
        self.speaker = speaker
        self.utterances = utterances  # indexes into call.utterances, in order
        self.texts = texts  # original text of each fragment
        self.norm = norm
        self.sound = sound
        self.frag_starts = frag_starts  # where each fragment begins in `norm`
        self.start_ms = start_ms
        self.end_ms = end_ms
        self._breaks = self._maps = self._words = self._sentences = None

    def word_bounds(self, segmenter, start: int, end: int) -> tuple[int, set[int]]:
        """(offset, word boundaries) of the text up to 8 characters either side of
        [start, end), cut (jieba) when a check first needs it."""
        lo = start - 8 if start > 8 else 0
        hi = min(len(self.norm), end + 8)
        if self._words is None:
            self._words = {}
        cuts = self._words.get((lo, hi))
        if cuts is None:
            cuts = self._words[(lo, hi)] = segmenter.boundaries(self.norm[lo:hi])
        return lo, cuts

    def _map(self, k: int) -> list[int]:
        if self._maps is None:
            self._maps = {}
        m = self._maps.get(k)
        if m is None:
            m = self._maps[k] = source_map(self.texts[k])
        return m

    def breaks(self) -> tuple[int, ...]:
        """Clause ends in `norm` (fragment joins are not breaks; the turn's two ends are)."""
        if self._breaks is None:
            out: set[int] = {0, len(self.norm)}
            for start, text in zip(self.frag_starts, self.texts, strict=True):
                out.update(start + b for b in clause_breaks(text))
            self._breaks = tuple(sorted(out))
        return self._breaks

    def sentence_breaks(self) -> tuple[int, ...]:
        """Sentence ends in `norm` (not commas); computed when first needed."""
        if self._sentences is None:
            out: set[int] = set()
            for start, text in zip(self.frag_starts, self.texts, strict=True):
                out.update(start + b for b in sentence_breaks(text))
            self._sentences = tuple(sorted(out))
        return self._sentences

    def clause_of(self, start: int, end: int) -> tuple[int, int]:
        """The clause around [start, end): from the last break at or before `start` to the
        first break at or after `end`."""
        b = self.breaks()
        i = bisect_right(b, start) - 1
        lo = b[max(i, 0)]
        j = bisect_right(b, end - 1)
        hi = b[j] if j < len(b) else len(self.norm)
        return lo, max(hi, end)

    def locate(self, pos: int) -> tuple[int, int]:
        """(fragment number, offset in that fragment's norm) of a `norm` position."""
        k = bisect_right(self.frag_starts, pos) - 1
        return k, pos - self.frag_starts[k]

    def original(self, start: int, end: int) -> tuple[int, int, str]:
        """(utterance index, char offset, original text) of norm span [start, end)."""
        k0, o0 = self.locate(start)
        k1, o1 = self.locate(max(end - 1, start))
        map0 = self._map(k0)
        map1 = self._map(k1)
        first = map0[o0] if o0 < len(map0) else len(self.texts[k0])
        last = (map1[o1] + 1) if o1 < len(map1) else len(self.texts[k1])
        if k0 == k1:
            matched = self.texts[k0][first:last]
        else:
            matched = self.texts[k0][first:] + "".join(self.texts[k0 + 1:k1]) + self.texts[k1][:last]
        return self.utterances[k0], first, matched


@dataclass
class Hold:
    """A silence the agent ends: the customer was waiting on the agent."""

    before: int  # utterance index just before the silence
    after: int  # utterance index that ends it (an agent utterance)
    gap_ms: int
    agent_turn: int | None  # the agent's last turn before the silence
    limit: int | None = None  # when that turn goes on after the silence: where, in its norm


class CallText:
    """A call's text, normalized and sound-encoded, cut into turns."""

    def __init__(self, call: Call, sound_lut, speakers: frozenset[str] | None = None):
        utts = call.utterances
        texts = [u.text for u in utts]
        mapped = match_lut()[codes("".join(texts))]
        keep = mapped != DELETE
        kept = mapped[keep]
        # where each utterance starts and ends in the normalized text
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        self.nb: list[int] = kept_before[np.cumsum([0] + [len(t) for t in texts])].tolist()
        self.norm_all = decode(kept)
        self.sound_all = decode(sound_lut[kept])
        self.call = call
        self.texts = texts
        self.timed = all(u.start_ms is not None and u.end_ms is not None for u in utts)
        # turn t covers utterances first[t] .. first[t + 1] - 1
        speakers_of = [u.speaker for u in utts]
        first = [0]
        for i in range(1, len(utts)):
            if speakers_of[i] != speakers_of[i - 1]:
                first.append(i)
        self.turn_speakers = [speakers_of[i] for i in first]
        first.append(len(utts))
        self.first = first
        # Turns are made in one loop (a call has dozens); the scanned string reuses their slices.
        nb, sound_all, norm_all = self.nb, self.sound_all, self.norm_all
        turns: list[Turn] = []
        offsets: list[int] = []
        scanned: list[str] = []
        scanned_norm: list[str] = []
        pos = 0
        for t, speaker in enumerate(self.turn_speakers):
            i, j = first[t], first[t + 1]
            a, b = nb[i], nb[j]
            turn = Turn(t, speaker, range(i, j), texts[i:j], norm_all[a:b], sound_all[a:b],
                        (0,) if j == i + 1 else tuple(x - a for x in nb[i:j]), utts[i].start_ms, utts[j - 1].end_ms)
            turns.append(turn)
            if speakers is None or speaker in speakers:
                offsets.append(pos)
                scanned.append(turn.sound)
                scanned_norm.append(turn.norm)
                pos += b - a + 1
            else:
                offsets.append(-1)
        self.turns = turns
        self.offsets = offsets  # where each turn starts in `joined`; -1 for a turn not scanned
        self.joined = SEP.join(scanned)  # the turns some rule reads, separated by SEP
        self.joined_norm = SEP.join(scanned_norm)  # the same stretch in normalized text
        self._scanned = [t for t, off in enumerate(offsets) if off >= 0]
        self._starts = [offsets[t] for t in self._scanned]
        self._by_speaker: dict[str, list[int]] = {}

    def speaker_turn_ids(self, speaker: str) -> list[int]:
        """Indexes of the turns of `speaker` ("any" for all), in order."""
        ids = self._by_speaker.get(speaker)
        if ids is None:
            ids = self._by_speaker[speaker] = [t for t, s in enumerate(self.turn_speakers)
                                               if speaker == "any" or s == speaker]
        return ids

    def turn_start_ms(self, t: int) -> int | None:
        return self.call.utterances[self.first[t]].start_ms

    def turn_end_ms(self, t: int) -> int | None:
        return self.call.utterances[self.first[t + 1] - 1].end_ms

    def turn_of(self, utterance: int) -> int:
        return bisect_right(self.first, utterance) - 1

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


def build_call_text(call: Call, sound_lut, speakers: frozenset[str] | None = None) -> CallText:
    """Normalize and sound-encode a call and cut it into turns. Only turns of `speakers` go
    into the string the automaton scans."""
    return CallText(call, sound_lut, speakers)
