"""The one exception tree of callqa.

    CallqaError                   anything callqa refuses, with a message a person can act on
    ├── InputError                a call or an input file that cannot be scored
    │   └── UnscorableCall        valid JSON, but nothing in it can be judged (no agent speech)
    ├── LexiconError              lexicon files that are refused; `.problems` lists every one
    ├── ConfigError               settings that are unsafe or inconsistent
    └── StoreUnavailable          the database cannot be reached or cannot take the work now

The CLI prints these and goes on with the rest of its work; the API layer maps them to one
JSON error shape. Anything else escaping is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class CallqaError(Exception):
    """Base of every error callqa raises on purpose."""


class InputError(CallqaError):
    """A call or input file that cannot be scored."""


class UnscorableCall(InputError):
    """The call parsed, but holds nothing a rule could judge fairly."""


class ConfigError(CallqaError):
    """Unsafe or inconsistent settings."""


class StoreUnavailable(CallqaError):
    """The database could not be reached, lost the connection, or could not take the work
    (an SQLite file locked too long, a full disk): the same request may succeed later."""


@dataclass(frozen=True)
class LexiconProblem:
    file: str
    rule_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.rule_id:
            where += f" rule {self.rule_id!r}"
        if self.field:
            where += f" field {self.field!r}"
        return f"{where}: {self.message}"


class LexiconError(CallqaError):
    """Lexicon files that were refused. Every problem found is listed, not just the first."""

    def __init__(self, problems: list[LexiconProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"lexicon refused, {len(self.problems)} problem(s):\n{lines}")
