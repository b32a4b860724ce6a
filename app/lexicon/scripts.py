"""Standard scripts (标准话术): a center's own opening and closing words, with slots.

A script is text with slots written `{name}`: `{greeting}` (any greeting word), `{number}` (the
operator's number, in digits or Chinese numerals) and any variable the lexicon declares
(`{company}`). Scripts come from a rule's `scripts:` in the lexicon, from the setting
`CALLQA_SCRIPTS` ({"rule id": ["script", ...]}) and from a call's `variables.scripts` (the same
shape); the nearer source replaces the farther one for the rules it names. This module reads
and checks them; `app.match.script` matches them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.text.normalize import normalize

SLOT = re.compile(r"\{([^{}]*)\}")
SLOT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
BUILT_IN_SLOTS = ("greeting", "number")  # the others are the lexicon's variables


@dataclass(frozen=True)
class ScriptPart:
    """A piece of a script: normalized literal text, or a slot's name."""

    slot: bool
    text: str


def parse_script(text: str, slots: tuple[str, ...]) -> tuple[ScriptPart, ...]:
    """The parts of a script, or ValueError saying what is wrong and what would be valid.
    `slots`: the slot names that may be used."""
    parts: list[ScriptPart] = []
    pos = 0
    for m in [*SLOT.finditer(text), None]:
        raw = text[pos:m.start() if m else len(text)]
        if "{" in raw or "}" in raw:
            raise ValueError(f"a slot is written {{name}}: {text!r} has a brace that opens or closes none")
        if normalize(raw):
            parts.append(ScriptPart(False, normalize(raw)))
        if m is None:
            break
        name = m.group(1)
        if not SLOT_NAME.fullmatch(name) or name not in slots:
            raise ValueError(f"unknown slot {{{name}}} in {text!r}; slots: {', '.join('{' + s + '}' for s in slots)}")
        parts.append(ScriptPart(True, name))
        pos = m.end()
    if not any(not p.slot for p in parts):
        raise ValueError(f"{text!r} holds no words the agent reads (empty, or slots only)")
    return tuple(parts)


def script_problems(scripts, rules: dict[str, str], slots: tuple[str, ...], where: str) -> list[str]:
    """Every problem with a {rule id: [script, ...]} mapping, each with its place (`where`, then
    rule id and index). `rules`: rule id -> kind; scripts belong to required rules."""
    if not isinstance(scripts, dict):
        return [f"{where}: write it as {{\"rule id\": [\"script\", ...]}}, e.g. "
                '{"greeting": ["{number}号为您服务{greeting}{company}售后很高兴为您服务"]}']
    out = []
    for rule_id, texts in scripts.items():
        if rule_id not in rules:
            out.append(f"{where}.{rule_id}: no rule {rule_id!r} in the lexicon (rules: {', '.join(rules)})")
            continue
        if rules[rule_id] != "required":
            out.append(f"{where}.{rule_id}: scripts are for required rules; {rule_id!r} is {rules[rule_id]}")
            continue
        if not isinstance(texts, list) or not texts:
            out.append(f"{where}.{rule_id}: give a list of one or more scripts")
            continue
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                out.append(f"{where}.{rule_id}.{i}: a script is a string, not {type(text).__name__}")
                continue
            try:
                parse_script(text, slots)
            except ValueError as exc:
                out.append(f"{where}.{rule_id}.{i}: {exc}")
    return out
