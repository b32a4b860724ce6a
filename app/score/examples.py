"""Run every rule's examples: each `hit` example must make the rule find what it looks for,
each `miss` example must not. For a required rule "find" means the rule passes; for forbidden
and silence rules it means at least one hit."""

from __future__ import annotations

from dataclasses import dataclass

from app.lexicon import schema
from app.lexicon.compiler import CompiledLexicon, Rule
from app.models import Call, RuleResult
from app.score.scorer import ScoringConfig, check_rule


@dataclass(frozen=True)
class ExampleCase:
    rule: Rule
    expect: str  # "hit" | "miss"
    number: int
    example: str | schema.Example

    @property
    def label(self) -> str:
        text = self.example if isinstance(self.example, str) else " / ".join(u.get("text", "") for u in self.example.utterances)
        return f"{self.rule.id}:{self.expect}{self.number}:{text[:30]}"


def example_cases(lex: CompiledLexicon) -> list[ExampleCase]:
    out = []
    for rule in lex.rules:
        for expect in ("hit", "miss"):
            for i, ex in enumerate(getattr(rule.examples, expect), 1):
                out.append(ExampleCase(rule, expect, i, ex))
    return out


def example_call(case: ExampleCase, lex: CompiledLexicon) -> Call:
    rule = case.rule
    ex = case.example
    variables = {name: [v.example, *v.example_aliases] for name, v in lex.variables.items()}
    direction = rule.direction if rule.direction != "any" else None
    if isinstance(ex, str):
        speaker = "customer" if rule.speaker == "customer" else "agent"
        utterances = [{"speaker": speaker, "text": ex}]
    else:
        utterances = ex.utterances
        variables.update(ex.variables)
        direction = ex.direction or direction
    return Call.model_validate({"call_id": case.label, "variables": variables, "direction": direction,
                                "utterances": utterances})


def found(result: RuleResult, rule: Rule) -> bool:
    if rule.kind == "required":
        return result.status == "passed"
    return bool(result.hits)


def run_case(case: ExampleCase, lex: CompiledLexicon, config: ScoringConfig = ScoringConfig()) -> tuple[bool, RuleResult]:
    result = check_rule(example_call(case, lex), lex, case.rule, config)
    ok = found(result, case.rule) == (case.expect == "hit") and result.status != "not_applicable"
    return ok, result


def failing_examples(lex: CompiledLexicon, config: ScoringConfig = ScoringConfig()) -> list[tuple[ExampleCase, RuleResult]]:
    out = []
    for case in example_cases(lex):
        ok, result = run_case(case, lex, config)
        if not ok:
            out.append((case, result))
    return out
