"""Compile validated lexicon files once into what matching needs: phrases cut into parts,
encoded as sound classes, and one Aho-Corasick automaton over every phrase's anchor part."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick

from app.errors import LexiconError, LexiconProblem
from app.lexicon import schema
from app.lexicon.answers import Answers, compile_answers
from app.lexicon.loader import SETTINGS_FILE as SETTINGS
from app.lexicon.loader import LexiconSource, load_source, source_from_files
from app.lexicon.scripts import BUILT_IN_SLOTS, parse_script
from app.text.normalize import normalize
from app.text.pinyin import expand_pairs, sound_lut, sound_table, sound_variants, to_sound, valid_pair_names
from app.text.tokenizer import Segmenter
from app.text.turns import TurnPolicy, make_policy

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
WILDCARD = "*"

# Defaults that differ by kind. Forbidden rules accuse an agent, so they demand word
# boundaries and refuse same-sound hits that are real words; required rules lean the other way,
# since a missed required phrase is also an accusation.
KIND_DEFAULTS = {
    "forbidden": {"pinyin": True, "fuzzy": None, "boundary": "word", "max_insert": 0, "max_gap": 6, "in_question": False},
    "required": {"pinyin": True, "fuzzy": None, "boundary": "none", "max_insert": 0, "max_gap": 6, "in_question": True},
    "silence": {"pinyin": False, "fuzzy": None, "boundary": "none", "max_insert": 0, "max_gap": 0, "in_question": True},
}


@dataclass(frozen=True)
class Pattern:
    """A text cut into parts that may have a few characters between them."""

    text: str  # as written
    parts: tuple[str, ...]  # normalized
    sounds: tuple[str, ...]  # sound-encoded, same lengths as parts
    gaps: tuple[int, ...]  # max characters allowed between part i and i+1
    anchor: int = -1  # the part the automaton looks for: the rarest when frequencies are known
    # (see cut_pattern), else the longest
    singles: bool = False  # some part is a single character (set from the parts)
    extent: int = 0  # the most characters an occurrence can span (set from the parts)
    chars: int = 0  # characters of the phrase itself, gaps aside (set from the parts)

    def __post_init__(self) -> None:
        if self.anchor < 0:
            object.__setattr__(self, "anchor", max(range(len(self.parts)), key=lambda i: (len(self.parts[i]), i)))
        object.__setattr__(self, "singles", any(len(p) == 1 for p in self.parts))
        object.__setattr__(self, "chars", sum(map(len, self.parts)))
        object.__setattr__(self, "extent", self.chars + sum(self.gaps))


# How far before a hit a `scope: before` exception may end ("您是说他们让您自己去找": a quote),
# and how far after it a `scope: after` one may start ("我不太清楚这个型号，我帮您查一下": help
# that answers the same question, not something said much later in a long turn).
SCOPE_REACH = {"before": 10, "after": 16}


@dataclass(frozen=True)
class ExceptionPattern:
    pattern: Pattern
    scope: str


def build_automaton(items, key_of, value_of=lambda item: item) -> ahocorasick.Automaton | None:
    """An automaton over `key_of(item)`; each key's value is (its length, the values of every
    item with that key)."""
    keys: dict[str, list] = {}
    for item in items:
        keys.setdefault(key_of(item), []).append(value_of(item))
    if not keys:
        return None
    a = ahocorasick.Automaton()
    for key, values in keys.items():
        a.add_word(key, (len(key), tuple(values)))
    a.make_automaton()
    return a


def exception_automata(exceptions: tuple[ExceptionPattern, ...]) -> tuple:
    """Automata over the anchors of a phrase's exceptions, so a candidate's neighbourhood is
    read once instead of once per exception: (anchors looked for by sound, anchors of one
    character looked for as written, since one character's sound stands for too many others)."""
    by_sound = tuple(e for e in exceptions if len(e.pattern.parts[e.pattern.anchor]) > 1)
    written = tuple(e for e in exceptions if len(e.pattern.parts[e.pattern.anchor]) == 1)
    return (build_automaton(by_sound, lambda e: e.pattern.sounds[e.pattern.anchor]),
            build_automaton(written, lambda e: e.pattern.parts[e.pattern.anchor]))


@dataclass(frozen=True)
class Phrase:
    id: int
    rule_index: int
    group: int
    text: str  # as written, may hold {placeholders}
    pattern: Pattern | None  # None for templates: built per call from the variables
    pinyin: bool
    fuzzy: float | None
    word_boundary: bool
    # A phrase that accuses the agent (a forbidden one): a same-sound hit that is a real other
    # word is refused.
    accuses: bool
    max_insert: int
    max_gap: int
    in_question: bool  # a hit in a question counts (else a question is no answer)
    clause_end: bool
    alone: bool
    opens_clause: bool
    exceptions: tuple[ExceptionPattern, ...]
    variables: tuple[str, ...] = ()
    # Exceptions that must overlap the hit, or stand just before or after it, are looked for in
    # one pass over the stretch they could occupy (`reach_before` / `reach_after` characters
    # around the hit); `turn` ones in the whole turn.
    near_exceptions: object = field(default=None, compare=False, repr=False)
    turn_exceptions: object = field(default=None, compare=False, repr=False)
    reach_before: int = field(default=0, compare=False, repr=False)
    reach_after: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        near = tuple(e for e in self.exceptions if e.scope != "turn")
        whole = tuple(e for e in self.exceptions if e.scope == "turn")
        # (phrases with the same exceptions may be given the same automata: see _Builder)
        if self.near_exceptions is None and near:
            object.__setattr__(self, "near_exceptions", exception_automata(near))
        if self.turn_exceptions is None and whole:
            object.__setattr__(self, "turn_exceptions", exception_automata(whole))
        object.__setattr__(self, "reach_before", max(
            (e.pattern.extent + (SCOPE_REACH["before"] if e.scope == "before" else 0) for e in near), default=0))
        object.__setattr__(self, "reach_after", max(
            (e.pattern.extent + (SCOPE_REACH["after"] if e.scope == "after" else 0) for e in near), default=0))


@dataclass(frozen=True)
class Rule:
    index: int
    id: str
    name: str
    kind: str
    speaker: str
    direction: str
    window: schema.Window
    groups: tuple[tuple[Phrase, ...], ...]
    group_names: tuple[str, ...]
    deduction: schema.Deduction
    veto: bool
    message: str
    max_seconds: float | None
    examples: schema.Examples
    file: str
    scripts: tuple[str, ...] = ()  # the lexicon's standard scripts for this rule (app.lexicon.scripts)
    script_similarity: float = 0.8
    answers: Answers | None = None  # blunt answers as a grammar (forbidden rules; app.match.answers)
    # the phrases whose text is known only per call ({placeholders}): looked for directly
    templates: tuple[Phrase, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "templates", tuple(p for g in self.groups for p in g if p.pattern is None))


@dataclass(frozen=True)
class Brand:
    """How to find a name variable's brand as a recognizer writes it (schema.BrandSpec)."""

    pairs: tuple[str, ...]
    strip: tuple[str, ...]  # category words and suffixes, longest first: cut off a form to find its brand
    after: tuple[str, ...]  # what may follow a brand said without the rest of the name (sound-encoded)
    before: tuple[str, ...]  # what may introduce it (sound-encoded)
    min_chars: int
    frame_after: tuple[str, ...] = ()  # what closes a self-introduction's frame (sound-encoded)
    others: frozenset[str] = frozenset()  # other companies' names, normalized
    question_before: tuple[str, ...] = ()  # normalized: see schema.BrandSpec
    question_after: tuple[str, ...] = ()
    # Of `after` and `before` (sound-encoded), the words that name or introduce a company in
    # their own right: a trade word or suffix after it, an introduction before it (这边是, 欢迎
    # 致电), not a greeting. Next to one of these a brand may be heard with every syllable
    # otherwise written (锐锋电气 for 瑞丰电器).
    strong: frozenset[str] = frozenset()

    @property
    def sound(self) -> dict[int, str]:
        """Near-sound classes of `pairs`, wider than the lexicon's own (built when first needed:
        only a name not found as configured is looked for this way)."""
        return sound_table(self.pairs)

    def variants(self, brand: str) -> list[str]:
        """The brand's near-sound strings under each reading of its characters (长: zhang, chang)."""
        return sound_variants(brand, self.pairs)

    def brands(self, forms: tuple[str, ...]) -> tuple[str, ...]:
        """The brand of each written form: the form without trailing category words and
        suffixes ("瑞丰电器有限公司" -> "瑞丰"), normalized; forms too short are left out."""
        out = []
        for form in forms:
            brand = normalize(form)
            cut = True
            while cut:
                cut = False
                for word in self.strip:
                    if brand.endswith(word) and len(brand) - len(word) >= self.min_chars:
                        brand = brand[: -len(word)]
                        cut = True
                        break
            if len(brand) >= self.min_chars:
                out.append(brand)
        return tuple(dict.fromkeys(out))


@dataclass
class CompiledLexicon:
    directory: str
    version: str
    rules: tuple[Rule, ...]
    phrases: tuple[Phrase, ...]
    sound: dict[int, str]
    sound_lut: object  # numpy lookup table of `sound`
    segmenter: Segmenter
    automaton: ahocorasick.Automaton | None  # anchors in the sound string
    exact_automaton: ahocorasick.Automaton | None  # anchors of exact-only phrases, in the text
    hold_min_ms: int
    variables: dict[str, schema.VariableSpec]
    pinyin_pairs: tuple[str, ...]
    policy: TurnPolicy = field(default_factory=lambda: make_policy())
    brands: dict[str, Brand] = field(default_factory=dict)  # variable name -> how its brand is heard
    retired: tuple[str, ...] = ()  # ids of rules removed for good (lexicon.yaml `retired:`)
    greetings: tuple[str, ...] = ()  # what a script's {greeting} slot accepts (sound-encoded)
    agent_openings: tuple[str, ...] = ()  # normalized: see schema.LexiconSettings
    _templates: dict = field(default_factory=dict, repr=False)

    @property
    def speakers(self) -> frozenset[str]:
        """Whose turns any rule reads; the others need not be scanned."""
        out: set[str] = set()
        for r in self.rules:
            out.update(("agent", "customer") if r.speaker == "any" else (r.speaker,))
        return frozenset(out)

    @property
    def script_slots(self) -> tuple[str, ...]:
        return script_slots(self.variables)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def cut_pattern(text: str, sound: dict[int, str], cut, max_insert: int, max_gap: int, freq=None,
                avoid: str = "") -> Pattern | None:
    """A phrase as parts: `*` separates parts up to `max_gap` apart; with `max_insert`, the
    words of each part (as `cut` segments them) may have that many characters between them.
    With `freq` (word -> how common), the rarest part becomes the anchor the automaton looks
    for; a single character counts as far more common, since its sound class is broad. A part
    found in `avoid` (the phrase an exception guards: it is always there) is the last choice."""
    chunks = [normalize(c) for c in text.split(WILDCARD)]
    if any(not c for c in chunks):
        return None
    parts: list[str] = []
    gaps: list[int] = []
    for ci, chunk in enumerate(chunks):
        if ci:
            gaps.append(max_gap)
        words = cut(chunk) if max_insert else [chunk]
        for wi, word in enumerate(words):
            if wi:
                gaps.append(max_insert)
            parts.append(word)
    anchor = -1
    if freq is not None:
        anchor = min(range(len(parts)), key=lambda i: (bool(avoid) and parts[i] in avoid,
                                                       freq(parts[i]) * (30 if len(parts[i]) == 1 else 1), -len(parts[i]), -i))
    return Pattern(text, tuple(parts), tuple(to_sound(p, sound) for p in parts), tuple(gaps), anchor)


class _Builder:
    def __init__(self, source: LexiconSource):
        self.source = source
        self.problems: list[LexiconProblem] = []
        try:
            self.pairs = expand_pairs(source.settings.pinyin.fuzzy_pairs)
        except KeyError as exc:
            self.problems.append(LexiconProblem("lexicon.yaml", None, "pinyin.fuzzy_pairs", f"unknown pair {exc.args[0]!r}; valid pairs: {', '.join(valid_pair_names())}"))
            self.pairs = ()
        self.sound = sound_table(self.pairs)
        self.segmenter_terms: list[str] = []
        self._cut = Segmenter()
        # phrases with the same exceptions share their automata: fewer, more often used tables
        self._automata: dict[tuple, tuple] = {}

    def problem(self, file: str, rule_id: str | None, fld: str, msg: str) -> None:
        self.problems.append(LexiconProblem(file, rule_id, fld, msg))

    def pattern(self, text: str, max_insert: int, max_gap: int, avoid: str = "") -> Pattern | None:
        pattern = cut_pattern(text, self.sound, self._cut.cut, max_insert, max_gap, self._cut.freq, avoid)
        if pattern is not None:
            self.segmenter_terms.extend(normalize(c) for c in text.split(WILDCARD))
        return pattern

    def exceptions(self, items: list, file: str, rule_id: str, fld: str, max_gap: int,
                   max_insert: int = 0, guarded: str = "") -> list[ExceptionPattern]:
        """Exceptions are cut like the phrases they guard: an exception that tolerated less
        than its phrase would let a garbled innocent sentence through as a hit. Each is
        anchored on a part the guarded phrase does not hold ("不知道*吗" on 吗), so the
        exceptions that share the phrase's words are not all tried at every hit."""
        out = []
        for i, item in enumerate(items):
            spec = schema.ExceptionSpec(text=item) if isinstance(item, str) else item
            if PLACEHOLDER.search(spec.text):
                self.problem(file, rule_id, f"{fld}.{i}", "exceptions cannot hold {placeholders}")
                continue
            pat = self.pattern(spec.text, max_insert if spec.max_insert is None else spec.max_insert, max_gap, guarded)
            if pat is None:
                self.problem(file, rule_id, f"{fld}.{i}", f"{spec.text!r} is empty once spaces, punctuation and fillers are removed")
                continue
            out.append(ExceptionPattern(pat, spec.scope))
        return out

    def build(self) -> CompiledLexicon:
        rules: list[Rule] = []
        phrases: list[Phrase] = []
        declared = self.source.settings.variables
        for rule_index, (file, spec) in enumerate(self.source.rules):
            rid = spec.id
            defaults = dict(KIND_DEFAULTS[spec.kind])
            defaults.update({k: v for k, v in spec.match.model_dump().items() if v is not None})
            self._kind_checks(file, spec)
            rule_exc = self.exceptions(spec.exceptions, file, rid, "exceptions", defaults["max_gap"], defaults["max_insert"])
            group_specs = [schema.GroupSpec(name="phrases", phrases=spec.phrases)] if spec.phrases else list(spec.all_of)
            groups: list[tuple[Phrase, ...]] = []
            for gi, group in enumerate(group_specs):
                fld_base = "phrases" if spec.phrases else f"all_of.{gi}.phrases"
                compiled: list[Phrase] = []
                for pi, item in enumerate(group.phrases):
                    p = schema.PhraseSpec(text=item) if isinstance(item, str) else item
                    opts = dict(defaults)
                    opts.update({k: v for k, v in p.model_dump(include=set(schema.MatchOptions.model_fields)).items() if v is not None})
                    fld = f"{fld_base}.{pi}"
                    phrase_exc = self.exceptions(p.exceptions, file, rid, f"{fld}.exceptions", opts["max_gap"], opts["max_insert"],
                                                 guarded=normalize(p.text.replace(WILDCARD, "")))
                    for text in [p.text, *p.aliases]:
                        names = tuple(PLACEHOLDER.findall(text))
                        unknown = [n for n in names if n not in declared]
                        if unknown:
                            self.problem(file, rid, fld, f"placeholder {{{unknown[0]}}} is not declared under `variables` in lexicon.yaml (declared: {', '.join(declared) or 'none'})")
                            continue
                        if text.count("{") != len(names) or text.count("}") != len(names):
                            self.problem(file, rid, fld, f"{text!r}: a placeholder is written {{name}} with a lower-case name")
                            continue
                        pattern = None
                        if not names:
                            pattern = self.pattern(text, opts["max_insert"], opts["max_gap"])
                            if pattern is None:
                                self.problem(file, rid, fld, f"{text!r} has an empty part once spaces, punctuation and fillers are removed")
                                continue
                            if opts["fuzzy"] is not None and sum(map(len, pattern.parts)) < 3:
                                self.problem(file, rid, f"{fld}.fuzzy", f"{text!r} is too short for fuzzy matching (3 characters at least); use exact or pinyin")
                        elif WILDCARD in text:
                            self.problem(file, rid, fld, "a phrase with a {placeholder} cannot also use * gaps")
                            continue
                        every = tuple(phrase_exc + rule_exc)
                        near = tuple(e for e in every if e.scope != "turn")
                        if near and near not in self._automata:
                            self._automata[near] = exception_automata(near)
                        compiled.append(Phrase(
                            near_exceptions=self._automata.get(near),
                            id=len(phrases), rule_index=rule_index, group=gi, text=text, pattern=pattern,
                            pinyin=opts["pinyin"], fuzzy=opts["fuzzy"], word_boundary=opts["boundary"] == "word",
                            accuses=spec.kind == "forbidden",
                            max_insert=opts["max_insert"], max_gap=opts["max_gap"], in_question=opts["in_question"],
                            clause_end=p.clause_end,
                            alone=p.alone, opens_clause=p.opens_clause, exceptions=tuple(phrase_exc + rule_exc), variables=names,
                        ))
                        phrases.append(compiled[-1])
                groups.append(tuple(compiled))
            rules.append(Rule(
                index=rule_index, id=rid, name=spec.name, kind=spec.kind, speaker=spec.speaker,
                direction=spec.direction, window=spec.window, groups=tuple(groups),
                group_names=tuple(g.name for g in group_specs), deduction=spec.deduction, veto=spec.veto,
                message=spec.message, max_seconds=spec.max_seconds, examples=spec.examples, file=file,
                scripts=tuple(spec.scripts), script_similarity=spec.script_similarity,
                answers=self._answers(file, spec),
            ))
            slots = script_slots(declared)
            for i, text in enumerate(spec.scripts):
                try:
                    parse_script(text, slots)
                except ValueError as exc:
                    self.problem(file, rid, f"scripts.{i}", str(exc))
            if spec.scripts and spec.kind != "required":
                self.problem(file, rid, "scripts", f"scripts are for required rules; this rule is {spec.kind}")
        if self.problems:
            raise LexiconError(self.problems)
        # Only forbidden phrases are scanned for over the whole call; a required rule needs one
        # hit in its window and searches it directly (see app.match.matcher.search_candidates).
        fixed = [p for p in phrases if p.pattern is not None and rules[p.rule_index].kind == "forbidden"]
        # Phrases that may not match by sound are looked for by their exact text: the sound of
        # one character (妈) stands for many common ones (吗, 嘛, 马).
        automaton = build_automaton([p for p in fixed if p.pinyin], lambda p: p.pattern.sounds[p.pattern.anchor],
                                    lambda p: p.id)
        exact_automaton = build_automaton([p for p in fixed if not p.pinyin], lambda p: p.pattern.parts[p.pattern.anchor],
                                          lambda p: p.id)
        self._cut.add_terms(self.segmenter_terms)
        brands = self._brands(declared)
        for i, prompt in enumerate(self.source.settings.prompts):
            if not normalize(prompt):
                self.problem(SETTINGS, None, f"prompts.{i}", f"{prompt!r} is empty once spaces, punctuation and fillers "
                             "are removed; a prompt marker is a few words a recording says (满意请按)")
        turns = self.source.settings.turns
        policy = make_policy(turns.backchannels, turns.short_chars, turns.overlap_chars, turns.pause_ms,
                             self.source.settings.prompts, self.sound, turns.remark_ms, turns.echo_ms)
        if self.problems:
            raise LexiconError(self.problems)
        return CompiledLexicon(
            directory=self.source.directory, version=self.source.version, rules=tuple(rules),
            retired=tuple(self.source.settings.retired),
            phrases=tuple(phrases), sound=self.sound, sound_lut=sound_lut(self.pairs), segmenter=self._cut,
            automaton=automaton, exact_automaton=exact_automaton, hold_min_ms=int(self.source.settings.holds.min_seconds * 1000),
            variables=dict(declared), pinyin_pairs=self.pairs, policy=policy, brands=brands,
            greetings=tuple(sorted({to_sound(normalize(g), self.sound) for g in self.source.settings.script_slots.greeting
                                    if normalize(g)}, key=len, reverse=True)),
            agent_openings=tuple(w for w in map(normalize, self.source.settings.agent_openings) if w),
        )

    def _brands(self, declared: dict[str, schema.VariableSpec]) -> dict[str, Brand]:
        out = {}
        for name, spec in declared.items():
            b = spec.brand
            if b is None:
                continue
            pairs = None
            try:
                pairs = expand_pairs(b.near_sound)
            except KeyError as exc:
                self.problem(SETTINGS, None, f"variables.{name}.brand.near_sound",
                             f"unknown pair {exc.args[0]!r}; valid pairs: {', '.join(valid_pair_names())}")
            empty = [w for w in b.categories + b.suffixes + b.introductions + b.before + b.after + b.frame_after + b.others
                     + b.question_before + b.question_after if not normalize(w)]
            if empty:
                self.problem(SETTINGS, None, f"variables.{name}.brand",
                             f"{empty[0]!r} is empty once spaces, punctuation and fillers are removed")
            if pairs is None or empty:
                continue
            words = {normalize(w) for w in b.categories + b.suffixes}

            def sounds(items) -> tuple[str, ...]:
                return tuple(sorted({to_sound(normalize(w), self.sound) for w in items}, key=len, reverse=True))

            def texts(items) -> tuple[str, ...]:
                return tuple(sorted({normalize(w) for w in items}, key=len, reverse=True))

            out[name] = Brand(
                pairs=pairs, strip=tuple(sorted(words, key=len, reverse=True)),
                after=sounds(words | {normalize(w) for w in b.after}), before=sounds(b.introductions + b.before),
                min_chars=b.min_chars, frame_after=sounds(words | {normalize(w) for w in b.frame_after}),
                others=frozenset(normalize(w) for w in b.others), question_before=texts(b.question_before),
                question_after=texts(b.question_after),
                strong=frozenset(sounds(words) + sounds(b.introductions)))
        return out

    def _answers(self, file: str, spec: schema.RuleSpec) -> Answers | None:
        if spec.answers is None:
            return None
        if spec.kind != "forbidden":
            self.problem(file, spec.id, "answers", f"a blunt-answer grammar belongs to forbidden rules; this rule is {spec.kind}")
            return None
        answers, problems = compile_answers(spec.answers, self.sound)
        for problem in problems:
            fld, _, msg = problem.partition(": ")
            self.problem(file, spec.id, fld, msg)
        if answers is not None:
            self.segmenter_terms.extend(c.text for c in answers.cores)
        return answers

    def _kind_checks(self, file: str, spec: schema.RuleSpec) -> None:
        rid = spec.id
        if spec.phrases and spec.all_of:
            self.problem(file, rid, "all_of", "give `phrases` (any one of them) or `all_of` (every group), not both")
        if spec.kind == "silence":
            if spec.max_seconds is None:
                self.problem(file, rid, "max_seconds", "a silence rule needs `max_seconds`: the longest hold allowed")
            if spec.phrases or spec.all_of:
                self.problem(file, rid, "phrases", "a silence rule has no phrases; it reads the utterance times")
        else:
            if spec.max_seconds is not None:
                self.problem(file, rid, "max_seconds", "`max_seconds` belongs to silence rules")
            if not spec.phrases and not spec.all_of and spec.answers is None:
                self.problem(file, rid, "phrases", "this rule needs `phrases` or `all_of`")
        if spec.kind == "forbidden" and spec.all_of:
            self.problem(file, rid, "all_of", "a forbidden rule lists `phrases`; any one of them is a hit")
        if spec.window.before_hold and spec.kind != "required":
            self.problem(file, rid, "window.before_hold", "`before_hold` is for required rules (what the agent must say before a hold)")


def script_slots(variables) -> tuple[str, ...]:
    """The slots a standard script may use: the built-in ones and the declared variables."""
    return (*BUILT_IN_SLOTS, *variables)


def compile_lexicon(source: LexiconSource) -> CompiledLexicon:
    return _Builder(source).build()


def load_lexicon(directory: str | Path) -> CompiledLexicon:
    """Read, validate and compile a lexicon folder; LexiconError lists every problem."""
    return compile_lexicon(load_source(directory))


def lexicon_from_files(files: dict[str, bytes], directory: str) -> CompiledLexicon:
    """Validate and compile lexicon files given by name and content (read from `directory`)."""
    return compile_lexicon(source_from_files(files, directory))


def default_lexicon_dir() -> Path:
    """The lexicons that come with callqa: inside the installed package (a wheel), or the
    checkout's lexicons/ folder (an editable install, or running from the source tree)."""
    package = Path(__file__).resolve().parents[1]
    bundled = package / "default_lexicons"
    return bundled if bundled.is_dir() else package.parent / "lexicons"
