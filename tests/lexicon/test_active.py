from __future__ import annotations

import shutil

import pytest

from app.errors import LexiconError
from app.lexicon.active import ActiveLexicon
from app.lexicon.compiler import default_lexicon_dir


@pytest.fixture()
def lexdir(tmp_path):
    d = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), d)
    return d


def _refused(lexdir, edit) -> list:
    """Apply `edit` to the files, reload, and return the problems; the lexicon in use must stay."""
    active = ActiveLexicon(lexdir)
    before = active.current
    edit(lexdir / "closing.yaml")
    with pytest.raises(LexiconError) as exc:
        active.reload()
    assert active.current is before
    return exc.value.problems


def test_broken_files_never_replace_the_lexicon_in_use(lexdir):
    problems = _refused(lexdir, lambda p: p.write_text("rules:\n  - id: closing\n    kind: nope\n", encoding="utf-8"))
    assert any(p.rule_id == "closing" and p.field == "kind" for p in problems)


def test_failing_examples_never_replace_the_lexicon_in_use(lexdir):
    problems = _refused(lexdir, lambda p: p.write_text(
        p.read_text(encoding="utf-8").replace("phrases: [再见, 再会]", "phrases: [再会]"), encoding="utf-8"))
    assert any(p.rule_id == "closing" and p.field.startswith("examples.hit") for p in problems)


def test_a_good_edit_is_taken(lexdir):
    active = ActiveLexicon(lexdir)
    before = active.current
    p = lexdir / "closing.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("deduction: {once: 10}", "deduction: {once: 15}"), encoding="utf-8")
    fresh = active.reload()
    assert active.current is fresh and fresh.version != before.version
    assert fresh.rule("closing").deduction.once == 15
