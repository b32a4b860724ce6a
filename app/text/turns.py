"""Turn a call's utterances into turns: consecutive fragments of one speaker, normalized and
sound-encoded once, so every rule reads the same text and positions map back to the input."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from app.models import Call
from app.text.normalize import clause_breaks, source_map, tables


@dataclass
class Turn:
    index: int
    speaker: str
    utterances: tuple[int, ...]  # indexes into call.utterances, in order
    texts: tuple[str, ...]  # original text of each fragment
    norm: str
    sound: str
    frag_starts: tuple[int, ...]  # where each fragment begins in `norm`
    start_ms: int | None
    end_ms: int | None
    _breaks: tuple[int, ...] | None = field(default=None, repr=False)
    _maps: dict[int, list[int]] = field(default_factory=dict, repr=False)

    def _map(self, k: int) -> list[int]:
        m = self._maps.get(k)
        if m is None:
            m = self._maps[k] = source_map(self.texts[k])
        return m

    def breaks(self) -> tuple[int, ...]:
        """Clause ends in `norm`: punctuation positions plus fragment joins are not breaks, the
        turn's two ends are."""
        if self._breaks is None:
            out: set[int] = {0, len(self.norm)}
            for start, text in zip(self.frag_starts, self.texts):
                out.update(start + b for b in clause_breaks(text))
            self._breaks = tuple(sorted(out))
        return self._breaks

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


@dataclass
class CallText:
    call: Call
    turns: list[Turn]
    joined: str  # every turn's sound string, separated by SEP
    offsets: list[int]  # where each turn starts in `joined`
    timed: bool  # every utterance carries start and end times

    def speaker_turns(self, speaker: str) -> list[Turn]:
        if speaker == "any":
            return self.turns
        return [t for t in self.turns if t.speaker == speaker]

    def turn_at(self, pos: int) -> int:
        return bisect_right(self.offsets, pos) - 1

    def holds(self, min_ms: int) -> list[Hold]:
        if not self.timed:
            return []
        utts = self.call.utterances
        turn_of: dict[int, int] = {u: t.index for t in self.turns for u in t.utterances}
        out = []
        last_end = None
        last_agent_turn = None
        turn_by_index = {t.index: t for t in self.turns}
        for i, u in enumerate(utts):
            if last_end is not None and u.speaker == "agent" and u.start_ms - last_end >= min_ms:
                limit = None
                if last_agent_turn == turn_of[i]:  # the silence falls inside one agent turn
                    t = turn_by_index[last_agent_turn]
                    limit = t.frag_starts[t.utterances.index(i)]
                out.append(Hold(i - 1, i, u.start_ms - last_end, last_agent_turn, limit))
            last_end = u.end_ms if last_end is None else max(last_end, u.end_ms)
            if u.speaker == "agent":
                last_agent_turn = turn_of[i]
        return out


SEP = "\x00"


def build_call_text(call: Call, sound: dict[int, str]) -> CallText:
    match_table = tables()[0]
    turns: list[Turn] = []
    utts = call.utterances
    i = 0
    n = len(utts)
    timed = True
    while i < n:
        speaker = utts[i].speaker
        j = i
        while j < n and utts[j].speaker == speaker:
            j += 1
        frags = utts[i:j]
        norms = [u.text.translate(match_table) for u in frags]
        starts = []
        pos = 0
        for s in norms:
            starts.append(pos)
            pos += len(s)
        norm = "".join(norms)
        s_ms = frags[0].start_ms
        e_ms = frags[-1].end_ms
        if any(u.start_ms is None or u.end_ms is None for u in frags):
            timed = False
        turns.append(Turn(len(turns), speaker, tuple(range(i, j)), tuple(u.text for u in frags), norm,
                          norm.translate(sound), tuple(starts), s_ms, e_ms))
        i = j
    offsets = []
    pos = 0
    for t in turns:
        offsets.append(pos)
        pos += len(t.sound) + 1
    joined = SEP.join(t.sound for t in turns)
    return CallText(call, turns, joined, offsets, timed)
