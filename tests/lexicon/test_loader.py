from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from app.errors import LexiconError
from app.lexicon.compiler import default_lexicon_dir, load_lexicon
from app.lexicon.loader import load_source

GOOD_RULE = """
  - id: demo
    name: demo
    kind: forbidden
    phrases: [不行]
    deduction: {per_hit: 5}
    message: a demo rule
    examples: {hit: [不行。], miss: [行。]}
"""


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path) -> list[str]:
    with pytest.raises(LexiconError) as exc:
        load_lexicon(tmp_path)
    return [str(p) for p in exc.value.problems]


def test_default_lexicon_loads_and_has_a_stable_version():
    a = load_source(default_lexicon_dir())
    b = load_source(default_lexicon_dir())
    assert a.version == b.version and a.version.startswith("seeds-1+")


def test_version_changes_with_content(tmp_path):
    shutil.copytree(default_lexicon_dir(), tmp_path / "lex")
    before = load_source(tmp_path / "lex").version
    p = tmp_path / "lex" / "closing.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_source(tmp_path / "lex").version != before


def test_every_problem_is_listed_with_file_rule_and_field(tmp_path):
    write(tmp_path, {
        "a.yaml": """
            rules:
              - id: one
                name: one
                kind: forbiden
                phrases: [不行]
                deduction: {per_hit: 5}
                message: a rule
                examples: {hit: [不行], miss: [行]}
              - id: two
                name: two
                kind: required
                phrases: [再见]
                deduction: {once: 5, per_hit: 3}
                message: another rule
                colour: red
                examples: {hit: [再见], miss: [好]}
            """,
        "b.yaml": "rules:\n  - id: Bad Id\n",
    })
    found = problems(tmp_path)
    text = "\n".join(found)
    assert "a.yaml rule 'one' field 'kind'" in text and "'required', 'forbidden' or 'silence'" in text
    assert "a.yaml rule 'two' field 'deduction'" in text and "exactly one of" in text
    assert "a.yaml rule 'two' field 'colour': unknown field; valid fields here:" in text and "deduction" in text
    assert "b.yaml rule 'Bad Id' field 'id'" in text
    assert "b.yaml rule 'Bad Id' field 'message': this field is required" in text
    assert len(found) >= 5


def test_semantic_problems_are_all_reported(tmp_path):
    write(tmp_path, {
        "lexicon.yaml": "retired: [old]\npinyin: {fuzzy_pairs: [z/zh, q/x]}\n",
        "a.yaml": "rules:" + GOOD_RULE + GOOD_RULE.replace("phrases: [不行]", "phrases: ['{brand}好', '，。']")
        + GOOD_RULE.replace("id: demo", "id: old"),
    })
    text = "\n".join(problems(tmp_path))
    assert "duplicate id" in text
    assert "retired" in text and "'old'" in text
    # compile-time problems are checked only once the files are valid; fix and look again
    (tmp_path / "a.yaml").write_text("rules:" + GOOD_RULE.replace("phrases: [不行]", "phrases: ['{brand}好', '，。']"), encoding="utf-8")
    text = "\n".join(problems(tmp_path))
    assert "unknown pair 'q/x'" in text and "valid pairs" in text
    assert "placeholder {brand} is not declared" in text
    assert "'，。' has an empty part" in text


def test_broken_yaml_names_the_line(tmp_path):
    write(tmp_path, {"a.yaml": "rules:\n  - id: x\n    name: [unclosed\n"})
    (text,) = problems(tmp_path)
    assert "a.yaml" in text and "not valid YAML at line" in text


def test_kind_specific_fields_are_checked(tmp_path):
    write(tmp_path, {"a.yaml": """
        rules:
          - id: quiet
            name: quiet
            kind: silence
            phrases: [稍等]
            deduction: {per_hit: 5}
            message: a silence rule
            examples: {hit: [x], miss: [y]}
        """})
    text = "\n".join(problems(tmp_path))
    assert "max_seconds" in text and "no phrases" in text


def test_empty_folder_and_missing_folder(tmp_path):
    assert "no rule files" in problems(tmp_path)[0]
    assert "no such folder" in problems(tmp_path / "nope")[0]


def test_yaml_anchor_lists_are_flattened(tmp_path):
    write(tmp_path, {"a.yaml": """
        definitions:
          a: &a [如果*不行]
          b: &b [还是不行]
        rules:
          - id: demo
            name: demo
            kind: forbidden
            phrases: [{text: 不行, exceptions: [*a, *b]}]
            deduction: {per_hit: 5}
            message: a demo rule
            examples: {hit: [不行。], miss: [还是不行。]}
        """})
    lex = load_lexicon(tmp_path)
    assert len(lex.rules[0].groups[0][0].exceptions) == 2


def test_new_settings_are_checked_and_every_problem_listed(tmp_path):
    write(tmp_path, {
        "lexicon.yaml": """
            prompts: [满意请按, "，。"]
            turns: {pause_ms: 5, short_chars: 2}
            variables:
              company:
                description: the company
                example: 瑞丰电器
                brand: {near_sound: [z/zh, j/q], categories: [电器, "…"]}
        """,
        "rules.yaml": "rules:" + GOOD_RULE,
    })
    found = problems(tmp_path)
    assert any("turns.pause_ms" in p and "greater than or equal to 100" in p for p in found), found
    write(tmp_path, {"lexicon.yaml": """
            prompts: [满意请按, "，。"]
            variables:
              company:
                description: the company
                example: 瑞丰电器
                brand: {near_sound: [z/zh, j/q], categories: [电器, "…"]}
        """})
    found = problems(tmp_path)
    assert any("field 'prompts.1'" in p and "is empty" in p for p in found), found
    assert any("field 'variables.company.brand.near_sound'" in p and "unknown pair 'j/q'" in p for p in found), found
    assert any("field 'variables.company.brand'" in p and "'…' is empty" in p for p in found), found


@pytest.mark.parametrize(("window", "ok"), [
    ("{first_turns: 2, first_seconds: 15, seconds_of: speaker}", True),
    ("{last_turns: 2, last_seconds: 15}", True),
    ("{first_seconds: 10}", True),
    ("{first_turns: 2, last_seconds: 15}", False),
    ("{last_turns: 1, before_hold: true}", False),
    ("{first_turns: 2, seconds_of: agent}", False),
])
def test_windows_combine_turns_and_seconds_of_one_end(tmp_path, window, ok):
    rule = f"""
  - id: demo
    name: demo
    kind: required
    window: {window}
    phrases: [您好]
    deduction: {{once: 5}}
    message: a demo rule
    examples: {{hit: [您好。], miss: [喂。]}}
"""
    write(tmp_path, {"rules.yaml": "rules:" + rule})
    if ok:
        assert load_lexicon(tmp_path).rule("demo").window is not None
    else:
        assert any("window" in p for p in problems(tmp_path))
