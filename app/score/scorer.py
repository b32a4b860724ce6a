"""Score a call: apply every rule of a compiled lexicon and explain each verdict with evidence."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from app.errors import ConfigError, UnscorableCall
from app.ingest import roles
from app.lexicon.compiler import CompiledLexicon, Pattern, Phrase, Rule
from app.lexicon.scripts import parse_script, script_problems
from app.match import answers, matcher
from app.match import script as scripting
from app.match.matcher import Candidate
from app.models import SCRIPTS, Call, CallResult, RuleResult, variable_forms
from app.text.normalize import normalize
from app.text.pinyin import class_halves
from app.text.turns import CallText, build_call_text


@dataclass(frozen=True)
class ScoringConfig:
    base_score: float = 100.0
    pass_mark: float = 80.0
    default_direction: str = "inbound"
    default_variables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scripts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule id -> standard scripts (CALLQA_SCRIPTS)


def config_problems(lex: CompiledLexicon, config: ScoringConfig) -> list[str]:
    """What in the settings this lexicon cannot use (CALLQA_SCRIPTS naming no rule of it, a
    script with an unknown slot), each with its place; empty when all is well."""
    return script_problems({k: list(v) for k, v in config.scripts.items()}, {r.id: r.kind for r in lex.rules},
                           lex.script_slots, "CALLQA_SCRIPTS")


def check_config(lex: CompiledLexicon, config: ScoringConfig) -> None:
    """ConfigError listing every problem of `config_problems`, if any."""
    problems = config_problems(lex, config)
    if problems:
        raise ConfigError("settings refused: " + "; ".join(problems))


def _variables(call: Call, config: ScoringConfig) -> dict[str, tuple[str, ...]]:
    values = dict(config.default_variables)
    for name, value in call.variables.items():
        if name == SCRIPTS:
            continue
        forms = variable_forms(value)
        if forms:
            values[name] = forms
    return values


Limits = dict[int, tuple[int, int]]  # turn -> the stretch of its text a rule may read


def _window(rule: Rule, ct: CallText) -> tuple[list[int] | None, Limits | None, str | None]:
    """(turn indexes the rule reads, the stretch of each it may read where not all of it, or
    None), or (None, None, reason) when the rule cannot be applied.

    Turns are counted among the speaker's turns that took the floor; the speaker's
    interjections inside the other side's turns count with the turn they fall in. Seconds pick
    fragments: those that start within the first N seconds, or end within the last N."""
    w = rule.window
    every = ct.speaker_turn_ids(rule.speaker)
    counted = w.first_turns or w.last_turns
    seconds = w.first_seconds or w.last_seconds
    if not (counted or seconds):
        return every, None, None
    chosen: list[int] = []
    bound = None  # turns are in order of their first utterance: the window's edge in utterances
    if counted:
        major = ct.speaker_turn_ids(rule.speaker, minor=False)
        n = w.first_turns or w.last_turns
        if len(major) <= n:
            chosen = every
        else:
            bound = ct.turns[major[n] if w.first_turns else major[-n]].utterances[0]
            cut = bisect_left(ct.first_utterances(rule.speaker), bound)
            chosen = every[:cut] if w.first_turns else every[cut:]
    if not seconds:
        return chosen, None, None
    if not ct.timed:
        if not counted:
            return None, None, "needs utterance times, and this call has none (or not all)"
        return chosen, None, None
    inside = ct.within_seconds(rule.speaker if w.seconds_of == "speaker" else None,
                               first=w.first_seconds, last=w.last_seconds)
    if counted and (bound is None or not inside or (
            inside[-1] < bound if w.first_turns else inside[0] >= bound)):
        return chosen, None, None  # the counted turns hold all of it
    # fragment numbers, by turn, of the rule's speaker's utterances inside the seconds
    taken = set(chosen)
    allowed = ct.turn_set(rule.speaker)
    extra: dict[int, list[int]] = {}
    for k in inside:
        t = ct.utterance_turn[k]
        if t not in taken and t in allowed:
            extra.setdefault(t, []).append(k)
    limits: Limits = {}
    for t, ks in extra.items():
        turn = ct.turns[t]
        pos = [turn.utterances.index(k) for k in ks]
        lo = turn.frag_starts[min(pos)]
        last = max(pos)
        hi = turn.frag_starts[last + 1] if last + 1 < len(turn.frag_starts) else len(turn.norm)
        if (lo, hi) != (0, len(turn.norm)):
            limits[t] = (lo, hi)
    return sorted(taken | extra.keys()), limits or None, None


def _within(limits: Limits | None):
    """A test that a candidate lies in the readable stretch of its turn, or None."""
    if not limits:
        return None
    return lambda c: c.turn not in limits or (limits[c.turn][0] <= c.start and c.end <= limits[c.turn][1])


_RANK = {"exact": 0, "pinyin": 1, "frame": 2, "fuzzy": 3, "script": 4}
MAX_LISTED_HITS = 50


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """One hit per place. Of overlapping candidates the longest wins, exact before same-sound;
    a sweep in order of position keeps this linear after the sort."""
    ordered = sorted(cands, key=lambda c: (c.turn, c.start, -(c.end - c.start), _RANK[c.method]))
    kept: list[Candidate] = []
    for c in ordered:
        last = kept[-1] if kept else None
        if last is not None and last.turn == c.turn and c.start < last.end:
            if (c.end - c.start, -_RANK[c.method]) > (last.end - last.start, -_RANK[last.method]):
                kept[-1] = c
            continue
        kept.append(c)
    return kept


class _CallScorer:
    def __init__(self, call: Call, lex: CompiledLexicon, config: ScoringConfig):
        self.call = call
        self.lex = lex
        self.config = config
        self.ct = build_call_text(call, lex.sound_lut, lex.speakers, lex.policy)
        self.values = _variables(call, config)
        self.anchors = matcher.scan(self.ct, lex)
        self._holds = None
        self._narrated: dict[int, list[str]] | None = None
        self.role_warnings: list[str] = []  # what a rule found doubtful about the roles

    # -- roles that look wrong ---------------------------------------------------------------

    def narrated(self) -> dict[int, list[str]]:
        """Agent utterances that read like the caller's own story -> its cues (roles.narration)."""
        if self._narrated is None:
            utts = self.call.utterances
            self._narrated = {}
            agent = [i for i, u in enumerate(utts) if u.speaker == "agent"]
            joined = "\n".join(utts[i].text for i in agent)
            if roles.has_narration(joined):  # (one search over the agent's words: most calls hold none)
                for i in agent:
                    cues = roles.narration(utts[i].text)
                    if cues:
                        self._narrated[i] = cues
        return self._narrated

    def role_notes(self) -> list[str]:
        notes = list(self.role_warnings)
        notes += [f"utterance {i}, the agent's, reads like the caller's own story ({', '.join(map(repr, cues[:3]))}): "
                  "likely the customer's speech on the agent's side; no forbidden phrase is read in it"
                  for i, cues in sorted(self.narrated().items())]
        utts = self.call.utterances
        agent = "|".join(u.text for u in utts if u.speaker == "agent")[:roles.READ_CHARS]
        agent_caller = roles.caller_cues(agent)
        if not agent_caller:  # (the usual case: nothing of a caller's on the agent's side, nothing more to read)
            return notes
        agent_like = roles.agent_cues(agent)
        if agent_caller <= agent_like:
            return notes
        customer = "|".join(u.text for u in utts if u.speaker == "customer")[:roles.READ_CHARS]
        customer_like, customer_caller = roles.agent_cues(customer), roles.caller_cues(customer)
        if customer_like - customer_caller >= roles.MARGIN + agent_like - agent_caller:
            notes.append(f"the agent's side talks like a caller ({agent_caller} caller's phrases against {agent_like} "
                         f"of the service's) and the customer's like the agent ({customer_like} against "
                         f"{customer_caller}): the roles may be swapped, and these verdicts rest on them")
        return notes

    def misplaced_opening(self, rule: Rule) -> dict | None:
        """A required rule of the agent's opening failed: where the call begins with speech
        labelled as the customer's that holds what only an agent says opening a call, the
        recognizer put the agent's opening on the wrong side; read it there."""
        utts = self.call.utterances
        first = utts[0]
        if first.speaker != "customer" or not self.lex.agent_openings:
            return None
        text = normalize(first.text)
        said = next((w for w in self.lex.agent_openings if w in text), None)
        if said is None:
            return None
        moved = self.call.model_copy(update={"utterances": [first.model_copy(update={"speaker": "agent"})],
                                             "source": None})
        result = _CallScorer(moved, self.lex, self.config).required(rule)
        if result["status"] != "passed":
            return None
        for h in result["hits"]:
            h["speaker"] = "customer"
        self.role_warnings.append(f"utterance 0, labelled the customer's, opens the call with the agent's words "
                                  f"({said!r}): read as the agent's opening for rule {rule.id!r}")
        return result

    def prompt_notes(self) -> list[str]:
        return [f"utterance {u} on is a recorded prompt ({marker!r}) to the end of that agent turn; it is not "
                "read as the agent's speech" for u, marker in self.ct.prompts]

    def echo_notes(self) -> list[str]:
        """What the echo check found, or that it could not look."""
        ct = self.ct
        if not ct.timed:
            if len(set(ct.speakers)) > 1:
                return ["the utterances have no times: an echo of one side's voice on the other's channel cannot be "
                        "told from a reply, and none was looked for"]
            return []
        utts = self.call.utterances
        notes = [f"utterance {e} ({_quote(utts[e].text)}) repeats what the {utts[o].speaker} says at that moment "
                 f"(utterance {o}): an echo of the {utts[o].speaker}'s voice, not read as the {utts[e].speaker}'s words"
                 for e, o in sorted(ct.echoes.items())[:ECHO_NOTES]]
        if len(ct.echoes) > ECHO_NOTES:
            notes.append(f"{len(ct.echoes)} echoes in all, the first {ECHO_NOTES} listed")
        return notes

    def holds(self):
        if self._holds is None:
            self._holds = self.ct.holds(self.lex.hold_min_ms)
        return self._holds

    # Results are assembled as plain data and validated once into a CallResult at the end:
    # one pass through pydantic-core is a quarter of the cost of building each model.

    def hit(self, c: Candidate) -> dict:
        uidx, offset, matched = c.where or self.ct.turns[c.turn].original(c.start, c.end)
        u = self.call.utterances[uidx]
        return {"utterance_index": uidx, "speaker": u.speaker, "start_ms": u.start_ms, "offset": offset,
                "phrase": c.phrase_text, "matched": matched, "method": c.method, "similarity": c.similarity,
                "detail": c.detail}

    def patterns(self, phrase: Phrase) -> tuple[list[Pattern], str | None]:
        """The phrase's patterns for this call (variables filled in), or the name of a
        variable the call does not give."""
        if phrase.pattern is not None:
            return [phrase.pattern], None
        missing = next((n for n in phrase.variables if not self.values.get(n)), None)
        if missing:
            return [], missing
        return matcher.template_patterns(phrase, self.lex, self.values), None

    def group_candidates(self, rule: Rule, gi: int, turns: set[int],
                         limits: Limits | None = None) -> tuple[list[Candidate], str | None]:
        """The first hit of a required rule's group in the given turns (within `limits`):
        one piece of evidence is enough. Instead of a hit, the name of a missing variable when
        no phrase of the group can be looked for. A name variable's brand, as a recognizer
        writes it, is looked for only when no phrase of the group is found as written."""
        within = _within(limits)
        missing = None
        usable = 0
        named = []
        for phrase in rule.groups[gi]:
            patterns, absent = self.patterns(phrase)
            if absent:
                missing = absent
                continue
            usable += 1
            brand = self._brand_of(phrase)
            keep = within if brand is None else self._introducing(brand, within)
            found = matcher.search_candidates(phrase, patterns, self.lex, self.ct, turns, keep, first_only=True)
            if found:
                return found, None
            if brand is not None:
                named.append((phrase, brand))
        # a name as a recognizer writes it: the brand by a near sound, then the brand's shape in
        # the frame of a self-introduction
        for find in (matcher.brand_candidates, matcher.frame_candidates):
            for phrase, brand in named:
                found = find(phrase, brand, brand.brands(self.values[phrase.variables[0]]), self.lex, self.ct, turns,
                             self._introducing(brand, within))
                if found:
                    return found, None
        return [], (missing if not usable else None)

    def _brand_of(self, phrase: Phrase):
        """How a name variable's brand is heard, for a phrase that is that variable alone."""
        if len(phrase.variables) == 1 and phrase.text == "{" + phrase.variables[0] + "}":
            return self.lex.brands.get(phrase.variables[0])
        return None

    def _introducing(self, brand, within):
        """A test that a candidate name introduces the speaker's side (not asked about), and
        lies within the window's limits."""
        turns = self.ct.turns

        def keep(c: Candidate) -> bool:
            return (within is None or within(c)) and matcher.introduces(brand, turns[c.turn], c.start, c.end)
        return keep

    def fuzzy_group(self, rule: Rule, gi: int, turns: set[int], limits: Limits | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        for phrase in rule.groups[gi]:
            if phrase.fuzzy is not None:
                out += matcher.fuzzy_candidates(phrase, self.patterns(phrase)[0], self.ct, turns)
        keep = _within(limits)
        if keep:
            out = [c for c in out if keep(c)]
        best = max(out, key=lambda c: c.similarity, default=None)
        return [best] if best else []

    def nearest(self, rule: Rule, gi: int, turns: list[int]) -> dict | None:
        patterns = [p for phrase in rule.groups[gi] for p in self.patterns(phrase)[0]]
        if not turns:
            turns = self.ct.speaker_turn_ids(rule.speaker)
        found = matcher.nearest(patterns, self.ct, turns)
        if found is None:
            return None
        t, pos, sim = found
        turn = self.ct.turns[t]
        k, offset = turn.locate(min(pos, max(len(turn.norm) - 1, 0)))
        uidx = turn.utterances[k]
        return {"utterance_index": uidx, "text": _excerpt(self.call.utterances[uidx].text, offset),
                "similarity": round(sim, 3), "missing": rule.group_names[gi]}

    # -- standard scripts ---------------------------------------------------------------------

    def scripts(self, rule: Rule) -> tuple[str, ...]:
        """The rule's standard scripts for this call: the call's own, else the settings', else
        the lexicon's."""
        own = self.call.variables.get(SCRIPTS)
        if isinstance(own, dict) and rule.id in own:
            return tuple(own[rule.id])
        return self.config.scripts.get(rule.id) or rule.scripts

    def script_match(self, rule: Rule, texts: tuple[str, ...], turns: list[int],
                     limits: Limits | None) -> scripting.ScriptMatch | None:
        """The rule's script heard best in its window, or None when none can be filled in."""
        scripts = []
        for text in texts:
            alts = _script_alternatives(text, self.lex, self.values)
            if isinstance(alts, list):
                scripts.append((text, alts))
        if not scripts:
            return None
        return scripting.best_match(scripts, scripting.window_text(self.ct, turns, limits), self.lex.greetings,
                                    class_halves(self.lex.pinyin_pairs))

    def script_hit(self, m: scripting.ScriptMatch, total: int) -> dict:
        first, last = self.ct.turns[m.turn], self.ct.turns[m.end_turn]
        uidx, offset, matched = first.original(m.start, m.end if m.turn == m.end_turn else len(first.norm))
        if m.end_turn != m.turn:
            matched += " / " + last.original(0, m.end)[2]
        u = self.call.utterances[uidx]
        return {"utterance_index": uidx, "speaker": u.speaker, "start_ms": u.start_ms, "offset": offset,
                "phrase": m.script, "matched": matched, "method": "script", "similarity": m.similarity,
                "detail": m.detail(total)}

    def script_nearest(self, m: scripting.ScriptMatch) -> dict:
        uidx, offset, _ = self.ct.turns[m.turn].original(m.start, m.start + 1)
        return {"utterance_index": uidx, "text": _excerpt(self.call.utterances[uidx].text, offset),
                "similarity": m.similarity,
                "missing": f"script {m.number}: " + (" ".join(m.missed) if m.missed else "too much said in between")}

    # -- rule kinds -------------------------------------------------------------------------

    def required(self, rule: Rule) -> dict:
        if rule.window.before_hold:
            if not self.ct.timed:
                return _not_applicable(rule, "needs utterance times to find holds, and this call has none (or not all)")
            instances = [([h.agent_turn], {h.agent_turn: (0, h.limit)} if h.limit is not None else None)
                         for h in self.holds() if h.agent_turn is not None]
            if not instances:
                return _result(rule, [], 0, None, note="no hold in this call")
        else:
            turns, limits, reason = _window(rule, self.ct)
            if turns is None:
                return _not_applicable(rule, reason)
            instances = [(turns, limits)]
        script = None
        texts = self.scripts(rule) if not rule.window.before_hold else ()
        if texts:
            script = self.script_match(rule, texts, *instances[0])
            if script is not None and script.similarity >= rule.script_similarity:
                return _result(rule, [self.script_hit(script, len(texts))], 0, None)
        hits: list[Candidate] = []
        failures = 0
        nearest = None
        for turns, limits in instances:
            tset = set(turns)
            for gi in range(len(rule.groups)):
                cands, missing_var = self.group_candidates(rule, gi, tset, limits)
                if missing_var and script is None:
                    return _not_applicable(rule, f"variable {{{missing_var}}} is not given for this call and has no default")
                if not cands:
                    cands = self.fuzzy_group(rule, gi, tset, limits)
                if cands:
                    hits += cands
                else:
                    failures += 1
                    if nearest is None:
                        # the center's own script says best what was missing, where there is one
                        nearest = self.script_nearest(script) if script is not None else self.nearest(rule, gi, turns)
                    break
        if failures and (rule.window.first_turns or rule.window.first_seconds) and rule.speaker == "agent":
            moved = self.misplaced_opening(rule)
            if moved is not None:
                return moved
        return _result(rule, [self.hit(c) for c in _dedupe(hits)], _deduct(rule, failures), nearest, failed=failures > 0)

    def forbidden(self, rule: Rule) -> dict:
        turns, limits, reason = _window(rule, self.ct)
        if turns is None:
            return _not_applicable(rule, reason)
        tset = set(turns)
        cands: list[Candidate] = []
        phrases = self.lex.phrases
        for pid, occ in self.anchors.items():
            phrase = phrases[pid]
            if phrase.rule_index == rule.index:
                cands += matcher.fixed_candidates(phrase, occ, self.lex, self.ct, tset)
        for phrase in rule.templates:
            patterns, missing = self.patterns(phrase)
            if not missing:
                cands += matcher.search_candidates(phrase, patterns, self.lex, self.ct, tset)
        if rule.answers is not None:
            cands += answers.blunt_candidates(rule.answers, self.lex, self.ct, tset)
        keep = _within(limits)
        narrated = self.narrated()
        if narrated:  # the caller's story on the agent's side accuses no agent
            cands = [c for c in cands if (c.where or self.ct.turns[c.turn].original(c.start, c.end))[0] not in narrated]
        kept = _dedupe([c for c in cands if keep(c)] if keep else cands)
        hits = [self.hit(c) for c in kept[:MAX_LISTED_HITS]]
        note = f"{len(kept)} hits, the first {MAX_LISTED_HITS} listed" if len(kept) > MAX_LISTED_HITS else None
        return _result(rule, hits, _deduct(rule, len(kept)), None, failed=bool(kept), note=note)

    def silence(self, rule: Rule) -> dict:
        if not self.ct.timed:
            return _not_applicable(rule, "needs utterance times, and this call has none (or not all)")
        limit = rule.max_seconds * 1000
        hits = []
        for h in self.holds():
            if h.gap_ms > limit:
                u = self.call.utterances[h.after]
                hits.append({"utterance_index": h.after, "speaker": u.speaker, "start_ms": u.start_ms, "offset": 0,
                             "phrase": f"hold over {rule.max_seconds:g} s", "matched": u.text, "method": "silence",
                             "similarity": 1.0,
                             "detail": f"silence of {h.gap_ms / 1000:.1f} s between utterance {h.before} and {h.after}"})
        return _result(rule, hits, _deduct(rule, len(hits)), None, failed=bool(hits))


_SCRIPTS: dict[tuple, list | str] = {}  # (lexicon version, script, variables' forms) -> alternatives


def _script_alternatives(text: str, lex: CompiledLexicon, values: dict[str, tuple[str, ...]]) -> list | str:
    """A script's rows for these variables (cached: a center has few scripts and names), or the
    name of a variable the call does not give."""
    parts = parse_script(text, lex.script_slots)  # (checked before: config_problems, _check_own_scripts)
    forms = tuple(values.get(p.text, ()) for p in parts if p.slot)
    key = (lex.version, text, forms)
    found = _SCRIPTS.get(key)
    if found is None:
        if len(_SCRIPTS) > 2_000:
            _SCRIPTS.clear()
        found = _SCRIPTS[key] = scripting.alternatives(parts, values, lex.sound, lex.segmenter.cut)
    return found


NEAREST_CHARS = 200  # the longest utterance text quoted whole as the nearest place
ECHO_NOTES = 5  # echoes listed one by one in the warnings


def _quote(text: str, limit: int = 20) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _excerpt(text: str, at: int) -> str:
    """An utterance as evidence: whole when short, else NEAREST_CHARS of it around `at` (a
    position in its normalized text, close to the same place in the written one)."""
    if len(text) <= NEAREST_CHARS:
        return text
    lo = max(0, min(at - NEAREST_CHARS // 4, len(text) - NEAREST_CHARS))
    return ("…" if lo else "") + text[lo:lo + NEAREST_CHARS] + ("…" if lo + NEAREST_CHARS < len(text) else "")


def _deduct(rule: Rule, n: int) -> float:
    """The points a rule takes off for n failures (hits, missing groups, long holds): the one
    place a deduction is computed. `once` whatever n; else `per_hit` each, up to `cap`."""
    if not n:
        return 0.0
    d = rule.deduction
    if d.once is not None:
        return d.once
    total = d.per_hit * n
    return min(total, d.cap) if d.cap is not None else total


def _result(rule: Rule, hits: list[dict], deduction: float, nearest: dict | None, *, failed: bool = False,
            note: str | None = None) -> dict:
    return {"rule_id": rule.id, "kind": rule.kind, "status": "failed" if failed else "passed", "passed": not failed,
            "deduction": float(deduction), "veto": bool(failed and rule.veto), "hits": hits, "nearest": nearest,
            "message": rule.message if failed else None, "note": note}


def _not_applicable(rule: Rule, reason: str) -> dict:
    return {"rule_id": rule.id, "kind": rule.kind, "status": "not_applicable", "passed": True, "deduction": 0.0,
            "veto": False, "hits": [], "nearest": None, "message": None, "note": reason}


def _apply(scorer: _CallScorer, rule: Rule, direction: str) -> dict:
    if rule.direction != "any" and rule.direction != direction:
        return _not_applicable(rule, f"applies to {rule.direction} calls; this call is {direction}")
    return getattr(scorer, rule.kind)(rule)


def _check_own_scripts(call: Call, lex: CompiledLexicon) -> None:
    """A call's own standard scripts (variables.scripts) must name rules of the lexicon and
    use known slots; refused with every problem's place."""
    own = call.variables.get(SCRIPTS)
    if own:
        problems = script_problems(own, {r.id: r.kind for r in lex.rules}, lex.script_slots, "variables.scripts")
        if problems:
            raise UnscorableCall("; ".join(problems))


def _require_agent_speech(call: Call) -> None:
    if not any(u.speaker == "agent" and u.text.strip() for u in call.utterances):
        raise UnscorableCall(
            f"call {call.call_id!r} has no agent speech to judge ({len(call.utterances)} utterance(s), "
            "none by the agent with text); check the transcript's speaker labels"
        )


def check_rule(call: Call, lex: CompiledLexicon, rule: Rule, config: ScoringConfig = ScoringConfig()) -> RuleResult:
    """One rule's verdict on one call (for lexicon examples and backtests)."""
    _require_agent_speech(call)
    _check_own_scripts(call, lex)
    return RuleResult.model_validate(_apply(_CallScorer(call, lex, config), rule, call.direction or config.default_direction))


def score_call(call: Call, lex: CompiledLexicon, config: ScoringConfig = ScoringConfig()) -> CallResult:
    """Score one call. Raises UnscorableCall when there is no agent speech to judge, or when
    its own scripts cannot be used."""
    _require_agent_speech(call)
    _check_own_scripts(call, lex)
    scorer = _CallScorer(call, lex, config)
    direction = call.direction or config.default_direction
    results = [_apply(scorer, rule, direction) for rule in lex.rules]
    veto = any(r["veto"] for r in results)
    score = 0.0 if veto else max(0.0, config.base_score - sum(r["deduction"] for r in results))
    score = round(score, 2)
    required_failed = any(r["status"] == "failed" and r["kind"] == "required" for r in results)
    passed = not (veto or required_failed or score < config.pass_mark)
    return CallResult.model_validate({"call_id": call.call_id, "agent_id": call.agent_id, "score": score,
                                      "passed": passed, "lexicon_version": lex.version, "rules": results,
                                      "warnings": call.time_warnings(scorer.ct.starts) + scorer.prompt_notes()
                                                  + scorer.echo_notes() + scorer.role_notes(),
                                      "source": call.source})
