"""The lexicon in use by a long-running service, replaced whole and only by a good one.

A service of several worker processes keeps one lexicon for all of them in a folder they
share (CALLQA_RUN_DIR; `callqa serve` makes one): the file `lexicon-in-use.json` holds the
lexicon files' contents as they were when that lexicon was taken into use. Before each
request a worker compares that file's identity with the one it loaded (one `stat`), and
loads it again when another worker has replaced it. So:

- every worker scores with the lexicon the file names, from the moment the file is replaced;
- a reload is checked in full by the worker that takes it (files, compilation, every rule's
  examples, no rule silently gone) before the file is replaced, so it is taken by all
  workers or by none;
- a worker started later (a replacement for one that died) comes up on the lexicon in use,
  whatever has since been written to the lexicon folder.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from app.errors import LexiconError, LexiconProblem
from app.lexicon.compiler import CompiledLexicon, lexicon_from_files
from app.lexicon.loader import SETTINGS_FILE, read_files
from app.score.examples import failing_examples
from app.score.scorer import ScoringConfig, config_problems

log = logging.getLogger("callqa")

Stamp = tuple[int, int, int]  # inode, mtime in ns, size: which version of the shared file


class SharedLexicon:
    """The record of the lexicon in use, in a folder the workers of one service share."""

    NAME = "lexicon-in-use.json"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / self.NAME

    def stamp(self) -> Stamp | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def read(self) -> tuple[Stamp, str, dict[str, bytes]] | None:
        """(stamp, lexicon folder, files) of the lexicon in use, or None when none is recorded."""
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())  # the stamp of what is read, even if replaced meanwhile
                doc = json.loads(fh.read())
        except FileNotFoundError:
            return None
        files = {name: text.encode("utf-8") for name, text in doc["files"].items()}
        return (st.st_ino, st.st_mtime_ns, st.st_size), doc["directory"], files

    def write(self, directory: str, files: dict[str, bytes], version: str) -> Stamp:
        """Replace the record whole (a reader sees the old one or the new one, never a part)."""
        doc = {"version": version, "directory": directory,
               "files": {name: data.decode("utf-8") for name, data in files.items()}}
        fd, tmp = tempfile.mkstemp(prefix=".lexicon-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        stamp = self.stamp()
        assert stamp is not None
        return stamp

    @contextmanager
    def lock(self):
        """One reload at a time across the workers."""
        with open(self.folder / "lexicon.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def removed_rules(old: CompiledLexicon, new: CompiledLexicon) -> list[LexiconProblem]:
    """Rules of the lexicon in use that the new one neither has nor lists under `retired:`."""
    kept = {r.id for r in new.rules} | set(new.retired)
    return [LexiconProblem(r.file, r.id, "", f"rule {r.id!r} (in {r.file}) is gone from the edited lexicon; a rule is "
                           f"removed by listing its id under `retired:` in {SETTINGS_FILE}. Otherwise restore it "
                           "(was its file emptied, deleted or renamed?)")
            for r in old.rules if r.id not in kept]


class ActiveLexicon:
    """Holds the compiled lexicon that scoring uses. `reload` compiles the files again and
    runs every rule's examples first; on any problem it raises LexiconError listing them all
    and the lexicon in use stays as it was. Readers always see one whole lexicon.

    With `shared` (a folder the service's workers share) the lexicon in use is the one
    recorded there, for every worker; without it, this process's own."""

    def __init__(self, directory: str | Path, config: ScoringConfig = ScoringConfig(),
                 shared: str | Path | None = None):
        self.directory = Path(directory)
        self.config = config
        self._lock = threading.RLock()
        self._shared = SharedLexicon(shared) if shared is not None else None
        self._stamp: Stamp | None = None
        if self._shared is None:
            self._files = read_files(self.directory)
            self._current = self._checked(self._files, self.directory, None)
            return
        with self._shared.lock():
            if not self._follow():  # nothing recorded yet: this process is the first
                self._files = read_files(self.directory)
                self._current = self._checked(self._files, self.directory, None)
                self._stamp = self._shared.write(str(self.directory), self._files, self._current.version)

    @classmethod
    def take_into_use(cls, directory: str | Path, config: ScoringConfig, shared: str | Path) -> ActiveLexicon:
        """Check the lexicon folder and record it as the one in use in `shared`, whatever was
        recorded there before (a service starting afresh reads its lexicon from disk)."""
        path = SharedLexicon(shared).path
        if path.exists():
            path.unlink()
        return cls(directory, config, shared)

    @property
    def current(self) -> CompiledLexicon:
        if self._shared is not None and self._shared.stamp() != self._stamp:
            with self._lock:
                self._follow()
        return self._current

    def _follow(self) -> bool:
        """Load the lexicon recorded in the shared folder if it is not the one held; False
        when none is recorded."""
        assert self._shared is not None
        if self._stamp is not None and self._shared.stamp() == self._stamp:
            return True
        found = self._shared.read()
        if found is None:
            return False
        stamp, directory, files = found
        if stamp == self._stamp:
            return True
        # Checked in full by the process that recorded it; compiled here as it was there.
        self._current = lexicon_from_files(files, directory)
        self._files, self._stamp, self.directory = files, stamp, Path(directory)
        log.info("lexicon %s taken into use", self._current.version)
        return True

    def _checked(self, files: dict[str, bytes], directory: Path, previous: CompiledLexicon | None) -> CompiledLexicon:
        lex = lexicon_from_files(files, str(directory))
        problems = [
            LexiconProblem(case.rule.file, case.rule.id, f"examples.{case.expect}.{case.number - 1}",
                           f"this {case.expect} example {'is not found' if case.expect == 'hit' else 'is found'} "
                           f"(rule status {result.status}); fix the rule or the example")
            for case, result in failing_examples(lex, self.config)
        ]
        problems += [LexiconProblem("CALLQA_SCRIPTS", None, "", p) for p in config_problems(lex, self.config)]
        if previous is not None:
            problems += removed_rules(previous, lex)
        if problems:
            raise LexiconError(problems)
        return lex

    def reload(self, directory: str | Path | None = None) -> CompiledLexicon:
        """Load the folder again (or another one) and switch to it if, and only if, it is good."""
        target = Path(directory) if directory is not None else self.directory
        with self._lock, (self._shared.lock() if self._shared is not None else nullcontext()):
            if self._shared is not None:
                self._follow()  # judge the edit against the lexicon in use now, whoever took it
            files = read_files(target)
            fresh = self._checked(files, target, self._current)  # raises before anything is replaced
            if self._shared is not None:
                self._stamp = self._shared.write(str(target), files, fresh.version)
            self._current, self._files, self.directory = fresh, files, target
        return fresh
