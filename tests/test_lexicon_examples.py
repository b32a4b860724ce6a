"""Every rule of the default lexicon ships with examples that must hit and must not hit."""

from __future__ import annotations

import pytest

from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.score.examples import example_cases, run_case

_LEX = load_lexicon(default_lexicon_dir())
_CASES = example_cases(_LEX)


@pytest.mark.parametrize("case", _CASES, ids=[c.label for c in _CASES])
def test_rule_example(case):
    ok, result = run_case(case, _LEX)
    found = [(h.phrase, h.matched, h.method) for h in result.hits]
    assert ok, f"{case.expect} example: status={result.status} hits={found} note={result.note}"


def test_every_rule_has_both_kinds_of_example():
    for rule in _LEX.rules:
        assert rule.examples.hit and rule.examples.miss, rule.id


def test_stable_ids_exist():
    ids = {r.id for r in _LEX.rules}
    assert {"greeting", "closing", "forbidden"} <= ids
