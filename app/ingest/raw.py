"""What every reader produces: a call as the format gives it, before roles are settled.

A format names its speakers its own way: a channel number, a diarization label, a role word.
Readers keep that label as written (`speaker`), and set `role` only where the format itself
says who is the agent. app.ingest.roles then maps or infers the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


class FormatMismatch(Exception):
    """This reader does not read this input; the message says what it looked for."""


class MalformedInput(Exception):
    """The input is this format, but broken; the message says where."""


@dataclass(slots=True)
class RawUtterance:
    speaker: str | None  # the format's own label: "0", "spk_1", "SPEAKER_00", "坐席", "Agent"
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    role: str | None = None  # "agent" / "customer" where the format itself says so


@dataclass(slots=True)
class RawCall:
    format: str
    utterances: list[RawUtterance]
    call_id: str | None = None
    started_at: str | None = None  # ISO 8601 text as found (an offset or not)
    direction: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def get(obj: Any, *names: str, default: Any = None) -> Any:
    """A field by any of its names, in any letter case (SecretAsrReport writes BeginTime as
    beginTime)."""
    if not isinstance(obj, dict):
        return default
    for name in names:
        if name in obj:
            return obj[name]
    lowered = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return default


def number(value: Any, where: str) -> float | None:
    """A number that may arrive as a string ("0.52", "4180"); None for missing or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedInput(f"{where}: expected a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise MalformedInput(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(out) or out < 0:
        raise MalformedInput(f"{where}: expected a time of zero or more, got {value!r}")
    return out


def ms(value: Any, where: str, scale: float = 1.0) -> int | None:
    """A time in milliseconds from a value in some unit (scale: milliseconds per unit)."""
    n = number(value, where)
    return None if n is None else int(round(n * scale))


def label(value: Any) -> str | None:
    """A speaker label as text ("1" for 1 and "1"); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def items(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedInput(f"{where}: expected a list, got {type(value).__name__}")
    return value
