"""Read lexicon files from a folder and validate them, reporting every problem at once.

A folder holds `lexicon.yaml` (settings: pinyin pairs, hold threshold, declared variables,
retired rule ids) and any number of rule files `*.yaml` with a top-level `rules:` list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from app.errors import LexiconError, LexiconProblem
from app.lexicon import schema

SETTINGS_FILE = "lexicon.yaml"
# libyaml's loader where PyYAML was built with it: a tenth of the pure-Python one's start-up time
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Which model a field path lands in, to list the valid fields when an unknown one is used.
_NESTED: dict[str, type[BaseModel]] = {
    "window": schema.Window,
    "match": schema.MatchOptions,
    "deduction": schema.Deduction,
    "examples": schema.Examples,
    "phrases": schema.PhraseSpec,
    "all_of": schema.GroupSpec,
    "exceptions": schema.ExceptionSpec,
    "pinyin": schema.PinyinSettings,
    "holds": schema.HoldSettings,
    "variables": schema.VariableSpec,
    "brand": schema.BrandSpec,
    "turns": schema.TurnSettings,
    "script_slots": schema.ScriptSlots,
    "answers": schema.AnswerGrammar,
    "cores": schema.CoreSpec,
}


@dataclass(frozen=True)
class LexiconSource:
    """Validated lexicon files, not yet compiled."""

    directory: str
    settings: schema.LexiconSettings
    rules: tuple[tuple[str, schema.RuleSpec], ...]  # (file name, rule)
    version: str


def _valid_fields(loc: tuple[Any, ...], top: type[BaseModel]) -> list[str]:
    model: type[BaseModel] = top
    for part in loc[:-1]:
        if isinstance(part, str) and part in _NESTED:
            model = _NESTED[part]
    if loc and loc[-1] in ("hit", "miss"):
        model = schema.Example
    return sorted(model.model_fields)


def _problems_from(err: ValidationError, file: str, rule_id: str | None, top: type[BaseModel]) -> list[LexiconProblem]:
    out = []
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x in ("str", "constrained-str", "function-after[_one(), Window]")))
        # pydantic reports a union member's tag in the path (e.g. 'PhraseSpec'); drop those
        loc = tuple(x for x in loc if not (isinstance(x, str) and x[:1].isupper()))
        field = ".".join(str(x) for x in loc)
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown field; valid fields here: {', '.join(_valid_fields(loc, top))}"
        elif e["type"] == "missing":
            msg = "this field is required"
        elif e["type"] == "string_too_short" and e.get("input") == "":
            msg = "is empty; write the phrase or remove the entry"
        out.append(LexiconProblem(file, rule_id, field, msg))
    # A field that may be a string or a mapping yields one error per member. When the mapping
    # member got further (errors deeper in the path), those are the useful ones; when neither
    # did, say both forms in one line.
    fields = [p.field for p in out]
    kept: dict[tuple[str, str], LexiconProblem] = {}
    for p in out:
        deeper = any(f.startswith(p.field + ".") for f in fields if f != p.field)
        if p.message.startswith("Input should be a valid") and (deeper or any(
                q.field == p.field and not q.message.startswith("Input should be a valid") for q in out)):
            continue
        if p.message.startswith("Input should be a valid") and fields.count(p.field) > 1:
            p = LexiconProblem(p.file, p.rule_id, p.field, "should be a phrase (a string) or a mapping with `text:` and options")
        kept.setdefault((p.field, p.message), p)
    return list(kept.values())


def _read_yaml(name: str, data: bytes, problems: list[LexiconProblem]) -> Any:
    try:
        return yaml.load(data.decode("utf-8"), Loader=_SAFE_LOADER)
    except UnicodeDecodeError as exc:
        problems.append(LexiconProblem(name, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(LexiconProblem(name, None, "", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"))
    except RecursionError:
        problems.append(LexiconProblem(name, None, "", "not valid YAML: nested too deeply"))
    return None


def lexicon_version(files: list[tuple[str, bytes]], label: str | None = None) -> str:
    h = hashlib.sha256()
    for name, data in sorted(files):
        h.update(name.encode() + b"\0" + data + b"\0")
    digest = h.hexdigest()[:12]
    return f"{label}+{digest}" if label else digest


RULE_SUFFIXES = (".yaml", ".yml")


def read_files(directory: str | Path) -> dict[str, bytes]:
    """The lexicon files of a folder, by name: lexicon.yaml and every *.yaml / *.yml file."""
    root = Path(directory)
    if not root.is_dir():
        raise LexiconError([LexiconProblem(str(root), None, "", "no such folder; point CALLQA_LEXICON_DIR or --lexicons at a folder of *.yaml files")])
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.suffix in RULE_SUFFIXES and p.is_file()}


def load_source(directory: str | Path) -> LexiconSource:
    """Read and validate every file of a folder; raise LexiconError listing all problems found."""
    return source_from_files(read_files(directory), str(directory))


def source_from_files(files: dict[str, bytes], directory: str) -> LexiconSource:
    """Validate lexicon files given by name and content (as read from `directory`)."""
    problems: list[LexiconProblem] = []
    settings = schema.LexiconSettings()
    if SETTINGS_FILE in files:
        data = _read_yaml(SETTINGS_FILE, files[SETTINGS_FILE], problems)
        if data is not None:
            try:
                settings = schema.LexiconSettings.model_validate(data)
            except ValidationError as exc:
                problems += _problems_from(exc, SETTINGS_FILE, None, schema.LexiconSettings)

    rules: list[tuple[str, schema.RuleSpec]] = []
    seen_ids: dict[str, str] = {}
    rule_files = sorted(name for name in files if name != SETTINGS_FILE)
    if not rule_files:
        problems.append(LexiconProblem(directory, None, "", "no rule files (*.yaml with a `rules:` list) in this folder"))
    for name in rule_files:
        data = _read_yaml(name, files[name], problems)
        if data is None:
            if not any(p.file == name for p in problems):
                problems.append(LexiconProblem(name, None, "", "the file is empty; a rule file holds a `rules:` list. "
                                               f"To remove its rules, delete the file and list their ids under `retired:` in {SETTINGS_FILE}"))
            continue
        try:
            rule_file = schema.RuleFile.model_validate(data)
        except ValidationError as exc:
            problems += _problems_from(exc, name, None, schema.RuleFile)
            continue
        if not rule_file.rules:
            problems.append(LexiconProblem(name, None, "rules", "lists no rules; to remove rules, delete the file and list "
                                           f"their ids under `retired:` in {SETTINGS_FILE}"))
        for i, raw in enumerate(rule_file.rules):
            rule_id = raw.get("id") if isinstance(raw.get("id"), str) else f"#{i + 1}"
            try:
                rule = schema.RuleSpec.model_validate(raw)
            except ValidationError as exc:
                problems += _problems_from(exc, name, rule_id, schema.RuleSpec)
                continue
            if rule.id in seen_ids:
                problems.append(LexiconProblem(name, rule.id, "id", f"duplicate id; already used in {seen_ids[rule.id]}. Ids are permanent: give the new rule a new id"))
                continue
            if rule.id in settings.retired:
                problems.append(LexiconProblem(name, rule.id, "id", f"{rule.id!r} is listed under `retired` in {SETTINGS_FILE}; retired ids are never reused, choose a new id"))
                continue
            seen_ids[rule.id] = name
            rules.append((name, rule))

    if problems:
        raise LexiconError(problems)
    return LexiconSource(directory, settings, tuple(rules), lexicon_version(list(files.items()), settings.label))
