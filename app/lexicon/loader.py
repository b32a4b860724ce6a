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
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x in ("str", "function-after[_one(), Window]")))
        # pydantic reports a union member's tag in the path (e.g. 'PhraseSpec'); drop those
        loc = tuple(x for x in loc if not (isinstance(x, str) and x[:1].isupper()))
        field = ".".join(str(x) for x in loc)
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown field; valid fields here: {', '.join(_valid_fields(loc, top))}"
        elif e["type"] == "missing":
            msg = "this field is required"
        out.append(LexiconProblem(file, rule_id, field, msg))
    # A field that may be a string or a mapping yields one error per member. When the mapping
    # member got further (errors deeper in the path), those are the useful ones; when neither
    # did, say both forms in one line.
    fields = [p.field for p in out]
    kept: dict[tuple[str, str], LexiconProblem] = {}
    for p in out:
        deeper = any(f.startswith(p.field + ".") for f in fields if f != p.field)
        if deeper and p.message.startswith("Input should be a valid"):
            continue
        if p.message.startswith("Input should be a valid") and fields.count(p.field) > 1:
            p = LexiconProblem(p.file, p.rule_id, p.field, "should be a phrase (a string) or a mapping with `text:` and options")
        kept.setdefault((p.field, p.message), p)
    return list(kept.values())


def _read_yaml(path: Path, problems: list[LexiconProblem]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except UnicodeDecodeError as exc:
        problems.append(LexiconProblem(path.name, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(LexiconProblem(path.name, None, "", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"))
    return None


def lexicon_version(files: list[tuple[str, bytes]], label: str | None = None) -> str:
    h = hashlib.sha256()
    for name, data in sorted(files):
        h.update(name.encode() + b"\0" + data + b"\0")
    digest = h.hexdigest()[:12]
    return f"{label}+{digest}" if label else digest


def load_source(directory: str | Path) -> LexiconSource:
    """Read and validate every file; raise LexiconError listing all problems found."""
    root = Path(directory)
    problems: list[LexiconProblem] = []
    if not root.is_dir():
        raise LexiconError([LexiconProblem(str(root), None, "", "no such folder; point CALLQA_LEXICON_DIR or --lexicons at a folder of *.yaml files")])

    raw_files: list[tuple[str, bytes]] = []
    settings = schema.LexiconSettings()
    settings_path = root / SETTINGS_FILE
    if settings_path.exists():
        raw_files.append((SETTINGS_FILE, settings_path.read_bytes()))
        data = _read_yaml(settings_path, problems)
        if data is not None:
            try:
                settings = schema.LexiconSettings.model_validate(data)
            except ValidationError as exc:
                problems += _problems_from(exc, SETTINGS_FILE, None, schema.LexiconSettings)

    rules: list[tuple[str, schema.RuleSpec]] = []
    seen_ids: dict[str, str] = {}
    rule_files = sorted(p for p in root.glob("*.yaml") if p.name != SETTINGS_FILE)
    if not rule_files:
        problems.append(LexiconProblem(str(root), None, "", "no rule files (*.yaml with a `rules:` list) in this folder"))
    for path in rule_files:
        raw_files.append((path.name, path.read_bytes()))
        data = _read_yaml(path, problems)
        if data is None:
            continue
        try:
            rule_file = schema.RuleFile.model_validate(data)
        except ValidationError as exc:
            problems += _problems_from(exc, path.name, None, schema.RuleFile)
            continue
        for i, raw in enumerate(rule_file.rules):
            rule_id = raw.get("id") if isinstance(raw.get("id"), str) else f"#{i + 1}"
            try:
                rule = schema.RuleSpec.model_validate(raw)
            except ValidationError as exc:
                problems += _problems_from(exc, path.name, rule_id, schema.RuleSpec)
                continue
            if rule.id in seen_ids:
                problems.append(LexiconProblem(path.name, rule.id, "id", f"duplicate id; already used in {seen_ids[rule.id]}. Ids are permanent: give the new rule a new id"))
                continue
            if rule.id in settings.retired:
                problems.append(LexiconProblem(path.name, rule.id, "id", f"{rule.id!r} is listed under `retired` in {SETTINGS_FILE}; retired ids are never reused, choose a new id"))
                continue
            seen_ids[rule.id] = path.name
            rules.append((path.name, rule))

    if problems:
        raise LexiconError(problems)
    return LexiconSource(str(root), settings, tuple(rules), lexicon_version(raw_files, settings.label))
