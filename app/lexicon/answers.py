"""Compile a forbidden rule's blunt-answer grammar (schema.AnswerGrammar) once: its cores as
patterns in one automaton, and each list of context words ready to test at a position.
Matching is app.match.answers."""

from __future__ import annotations

from dataclasses import dataclass, field

import ahocorasick

from app.lexicon import schema
from app.text.normalize import normalize
from app.text.pinyin import to_sound

BY_SOUND = 3  # words this long or longer are found by their sound


@dataclass(frozen=True)
class Words:
    """A list of words to find at a position of a turn: a word of three characters or more by
    its sound (问一下 written 闻一下), a shorter one as written, since one or two characters'
    sound stand for too many others (是否 sounds like 时候 once f/h are folded). Indexed by
    first and last character, and held in two automata, so a test costs a lookup, not a walk
    through the list."""

    written: tuple[str, ...]  # the short words, as normalized
    heard: tuple[tuple[str, str], ...]  # the long ones: (normalized, sound)
    _first: dict = field(default_factory=dict, compare=False, repr=False)  # (text?, char) -> keys, longest first
    _last: dict = field(default_factory=dict, compare=False, repr=False)
    _automata: tuple = field(default=(None, None), compare=False, repr=False)

    @classmethod
    def of(cls, words, sound: dict[int, str]) -> Words:
        found = sorted({normalize(w) for w in words} - {""}, key=lambda w: (-len(w), w))
        written = tuple(w for w in found if len(w) < BY_SOUND)
        heard = tuple((w, to_sound(w, sound)) for w in found if len(w) >= BY_SOUND)
        first: dict = {}
        last: dict = {}
        for key, on_sound in [*((w, False) for w in written), *((snd, True) for _, snd in heard)]:
            first.setdefault((on_sound, key[0]), []).append(key)
            last.setdefault((on_sound, key[-1]), []).append(key)
        automata = tuple(_automaton(keys) for keys in (written, [snd for _, snd in heard]))
        return cls(written, heard, first, last, automata)

    def starts(self, norm: str, sounds: str, at: int) -> int:
        """The length of the longest word starting at `at`, or 0."""
        if at < 0 or at >= len(norm):
            return 0
        best = 0
        for on_sound, text in ((False, norm), (True, sounds)):
            for key in self._first.get((on_sound, text[at]), ()):
                if len(key) > best and text.startswith(key, at):
                    best = len(key)
                    break
        return best

    def ends(self, norm: str, sounds: str, at: int) -> int:
        """The length of the longest word ending at `at`, or 0."""
        if at <= 0 or at > len(norm):
            return 0
        best = 0
        for on_sound, text in ((False, norm), (True, sounds)):
            for key in self._last.get((on_sound, text[at - 1]), ()):
                if len(key) > best and text.endswith(key, 0, at):
                    best = len(key)
                    break
        return best

    def within(self, norm: str, sounds: str, lo: int, hi: int) -> bool:
        """Is any of the words inside [lo, hi)?"""
        if hi <= lo:
            return False
        for automaton, text in zip(self._automata, (norm, sounds), strict=True):
            if automaton is not None and next(automaton.iter(text[lo:hi]), None) is not None:
                return True
        return False


def _automaton(keys) -> ahocorasick.Automaton | None:
    if not keys:
        return None
    a = ahocorasick.Automaton()
    for key in keys:
        a.add_word(key, len(key))
    a.make_automaton()
    return a


@dataclass(frozen=True)
class Core:
    text: str  # normalized
    sound: str
    kind: str
    needs_topic: bool = False


@dataclass(frozen=True)
class Answers:
    cores: tuple[Core, ...]
    automaton: ahocorasick.Automaton  # core sounds -> (length, core indexes)
    who: Words
    who_after_name: Words
    adverbs: Words
    particles: Words
    lead: Words
    dismissals: Words
    excuses: Words
    help: Words
    subjects: Words
    conditions: Words
    quotes: Words
    states: dict[str, Words]
    topics: Words
    asked: Words
    openers: Words
    embedded: dict[str, Words]


def compile_answers(spec: schema.AnswerGrammar, sound: dict[int, str]) -> tuple[Answers | None, list[str]]:
    """(the compiled grammar, problems as "field: message")."""
    problems = []
    cores = []
    for i, c in enumerate(spec.cores):
        text = normalize(c.text)
        if len(text) < 2:
            problems.append(f"answers.cores.{i}: {c.text!r} is too short to be found by itself (two characters at least)")
            continue
        cores.append(Core(text, to_sound(text, sound), c.kind, c.needs_topic))
    for name in schema.AnswerGrammar.model_fields:
        if name == "cores":
            continue
        value = getattr(spec, name)
        empty = [w for w in (sum(value.values(), []) if isinstance(value, dict) else value) if not normalize(w)]
        if empty:
            problems.append(f"answers.{name}: {empty[0]!r} is empty once spaces, punctuation and fillers are removed")
    if problems or not cores:
        return None, problems
    automaton = ahocorasick.Automaton()
    by_sound: dict[str, list[int]] = {}
    for i, core in enumerate(cores):
        by_sound.setdefault(core.sound, []).append(i)
    for snd, ids in by_sound.items():
        automaton.add_word(snd, (len(snd), tuple(ids)))
    automaton.make_automaton()
    by_kind = ("states", "embedded")
    lists = {name: Words.of(getattr(spec, name), sound) for name in schema.AnswerGrammar.model_fields
             if name not in ("cores", *by_kind)}
    kinds = {name: {kind: Words.of(words, sound) for kind, words in getattr(spec, name).items()} for name in by_kind}
    return Answers(cores=tuple(cores), automaton=automaton, **kinds, **lists), []
