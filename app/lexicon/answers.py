"""Compile a forbidden rule's blunt-answer grammar (schema.AnswerGrammar) once: its cores as
patterns in one automaton, and each list of context words ready to test at a position.
Matching is app.match.answers."""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick

from app.lexicon import schema
from app.text.normalize import normalize
from app.text.pinyin import to_sound

BY_SOUND = 3  # words this long or longer are found by their sound


@dataclass(frozen=True)
class Words:
    """A list of words to find at a position of a turn: a word of three characters or more by
    its sound (问一下 written 闻一下), a shorter one as written, since one or two characters'
    sound stand for too many others (是否 sounds like 时候 once f/h are folded)."""

    items: tuple[tuple[str, str], ...]  # (normalized, sound), longest first

    @classmethod
    def of(cls, words, sound: dict[int, str]) -> Words:
        found = {normalize(w) for w in words} - {""}
        return cls(tuple(sorted(((w, to_sound(w, sound)) for w in found), key=lambda x: -len(x[0]))))

    def _is(self, word: str, snd: str, norm: str, sounds: str, at: int) -> bool:
        if len(word) < BY_SOUND:
            return norm.startswith(word, at)
        return sounds.startswith(snd, at)

    def starts(self, norm: str, sounds: str, at: int) -> int:
        """The length of the longest word starting at `at`, or 0."""
        return next((len(w) for w, s in self.items if at >= 0 and self._is(w, s, norm, sounds, at)), 0)

    def ends(self, norm: str, sounds: str, at: int) -> int:
        """The length of the longest word ending at `at`, or 0."""
        return next((len(w) for w, s in self.items if at - len(w) >= 0 and self._is(w, s, norm, sounds, at - len(w))), 0)

    def within(self, norm: str, sounds: str, lo: int, hi: int) -> str | None:
        """The first word found inside [lo, hi), as written in the lexicon."""
        for w, s in self.items:
            at = norm.find(w, lo, hi) if len(w) < BY_SOUND else sounds.find(s, lo, hi)
            if at >= 0:
                return w
        return None


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
