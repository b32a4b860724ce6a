"""The lexicon in use by a long-running process, replaced whole and only by a good one."""

from __future__ import annotations

import threading
from pathlib import Path

from app.errors import LexiconError, LexiconProblem
from app.lexicon.compiler import CompiledLexicon, load_lexicon
from app.lexicon.examples import failing_examples
from app.score.scorer import ScoringConfig


class ActiveLexicon:
    """Holds the compiled lexicon that scoring uses. `reload` compiles the files again and
    runs every rule's examples first; on any problem it raises LexiconError listing them all
    and the lexicon in use stays as it was. Readers always see one whole lexicon."""

    def __init__(self, directory: str | Path, config: ScoringConfig = ScoringConfig()):
        self.directory = Path(directory)
        self.config = config
        self._lock = threading.Lock()
        self._current = self._load(self.directory)

    @property
    def current(self) -> CompiledLexicon:
        return self._current

    def _load(self, directory: Path) -> CompiledLexicon:
        lex = load_lexicon(directory)
        failures = failing_examples(lex, self.config)
        if failures:
            raise LexiconError([
                LexiconProblem(case.rule.file, case.rule.id, f"examples.{case.expect}.{case.number - 1}",
                               f"this {case.expect} example {'is not found' if case.expect == 'hit' else 'is found'} "
                               f"(rule status {result.status}); fix the rule or the example")
                for case, result in failures
            ])
        return lex

    def reload(self, directory: str | Path | None = None) -> CompiledLexicon:
        """Load the folder again (or another one) and switch to it if, and only if, it is good."""
        target = Path(directory) if directory is not None else self.directory
        with self._lock:
            fresh = self._load(target)  # raises before anything is replaced
            self._current = fresh
            self.directory = target
        return fresh
