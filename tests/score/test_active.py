from __future__ import annotations

import shutil

import pytest

from app.errors import LexiconError
from app.lexicon.compiler import default_lexicon_dir
from app.score.active import ActiveLexicon
from app.score.scorer import ScoringConfig


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


@pytest.mark.parametrize("edit", [
    lambda p: p.write_text("", encoding="utf-8"),
    lambda p: p.write_text("rules: []\n", encoding="utf-8"),
    lambda p: p.unlink(),
    lambda p: p.rename(p.with_suffix(".txt")),
], ids=["emptied", "no-rules", "deleted", "renamed-away"])
def test_a_rule_never_silently_disappears(lexdir, edit):
    problems = _refused(lexdir, edit)
    assert any(p.rule_id == "closing" and "retired" in p.message for p in problems) or \
        any(p.file == "closing.yaml" and "retired" in p.message for p in problems), problems


def test_a_rule_goes_when_retired(lexdir):
    active = ActiveLexicon(lexdir)
    (lexdir / "closing.yaml").unlink()
    settings = lexdir / "lexicon.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("retired: []", "retired: [closing]"), encoding="utf-8")
    fresh = active.reload()
    assert "closing" not in {r.id for r in fresh.rules} and "closing" in fresh.retired


def test_yml_files_are_rule_files_too(lexdir):
    active = ActiveLexicon(lexdir)
    (lexdir / "closing.yaml").rename(lexdir / "closing.yml")
    assert "closing" in {r.id for r in active.reload().rules}


def _edit_deduction(lexdir, points: int) -> None:
    p = lexdir / "closing.yaml"
    text = p.read_text(encoding="utf-8")
    import re
    p.write_text(re.sub(r"deduction: \{once: \d+\}", f"deduction: {{once: {points}}}", text, count=1), encoding="utf-8")


def test_workers_sharing_a_folder_score_with_one_lexicon(lexdir, tmp_path):
    """Two ActiveLexicons on one shared folder stand for two worker processes."""
    shared = tmp_path / "run"
    shared.mkdir()
    a = ActiveLexicon.take_into_use(lexdir, ScoringConfig(), shared)
    b = ActiveLexicon(lexdir, ScoringConfig(), shared)
    assert a.current.version == b.current.version
    _edit_deduction(lexdir, 15)
    fresh = a.reload()
    assert b.current.version == fresh.version and b.current.rule("closing").deduction.once == 15
    # an edit that is refused changes neither, and a worker started afterwards (a replacement
    # for one that died) comes up on the lexicon in use, not on the files on disk
    (lexdir / "closing.yaml").write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(LexiconError):
        b.reload()
    assert a.current.version == b.current.version == fresh.version
    c = ActiveLexicon(lexdir, ScoringConfig(), shared)
    assert c.current.version == fresh.version and c.current.rule("closing").deduction.once == 15


def test_a_refused_edit_is_judged_against_the_lexicon_in_use(lexdir, tmp_path):
    """Worker b took a reload that retired a rule; worker a then judges removals against it."""
    shared = tmp_path / "run"
    shared.mkdir()
    a = ActiveLexicon.take_into_use(lexdir, ScoringConfig(), shared)
    b = ActiveLexicon(lexdir, ScoringConfig(), shared)
    _edit_deduction(lexdir, 12)
    b.reload()
    _edit_deduction(lexdir, 13)
    assert a.reload().rule("closing").deduction.once == 13
    assert b.current.rule("closing").deduction.once == 13
