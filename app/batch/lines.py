"""`callqa score` on every core: the calls of a JSON Lines input scored by worker processes,
the results handed back in input order, so the output is byte for byte what one process
writes. The reading process only cuts the input into blocks of lines; each worker parses,
scores and serializes its block. Workers are forked with the lexicon already compiled.

Everything else `callqa score` reads (one JSON document, a vendor's file) is scored in the
reading process: such a file holds one call or a few.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from app.batch.pool import forked, in_order
from app.errors import CallqaError
from app.ingest.native import LINE_BUFFER, Record, read_lines
from app.lexicon.compiler import CompiledLexicon
from app.models import CallResult
from app.score.scorer import ScoringConfig, score_call

BLOCK_LINES = 200  # lines a worker takes at a time
_to_json = CallResult.__pydantic_serializer__.to_json


class Outcome(NamedTuple):
    """One record of the input: its result as JSON (`result`), or why it was refused."""

    source: str
    line: int
    size: int  # input bytes it took (progress)
    result: bytes | None
    passed: bool
    error: str | None


def outcome(rec: Record, lex: CompiledLexicon, config: ScoringConfig) -> Outcome:
    """A record scored: the one place `callqa score` turns a record into output."""
    if rec.call is not None:
        try:
            result = score_call(rec.call, lex, config)
        except CallqaError as exc:
            return Outcome(rec.source, rec.line, rec.size, None, False, str(exc))
        return Outcome(rec.source, rec.line, rec.size, _to_json(result, exclude_none=True), result.passed, None)
    return Outcome(rec.source, rec.line, rec.size, None, False, rec.error)


# What forked workers start with (set before the pool is made, inherited, never pickled).
_WORK: tuple | None = None


def _score_block(source: str, first: int, block: list[bytes]) -> list[Outcome]:
    assert _WORK is not None
    lex, config, fmt, hints = _WORK
    return [outcome(rec, lex, config) for rec in read_lines(source, iter(block), first, fmt, hints)]


def _blocks(stream: Iterable[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """(first line number, lines) of BLOCK_LINES lines at a time."""
    it = iter(stream)
    first = 1
    while block := list(islice(it, BLOCK_LINES)):
        yield first, block
        first += len(block)


def score_lines(source: str, stream: Iterable[bytes], workers: int, lex: CompiledLexicon, config: ScoringConfig,
                fmt: str | None, hints) -> Iterator[Outcome]:
    """Every record of a JSON Lines stream, scored by `workers` forked processes, in input
    order; a few blocks ahead of the reader at most, so memory stays bounded."""
    global _WORK
    _WORK = (lex, config, fmt, hints)
    pool = forked(workers)
    try:
        tasks = ((None, _score_block, (source, first, block)) for first, block in _blocks(stream))
        for _, outcomes in in_order(pool, tasks, 2 * workers + 2):
            yield from outcomes
    finally:
        pool.terminate()
        pool.join()
        _WORK = None


def score_file(path: str, workers: int, lex: CompiledLexicon, config: ScoringConfig, fmt: str | None,
               hints) -> Iterator[Outcome]:
    """score_lines of a JSON Lines file, or of standard input ("-")."""
    if path == "-":
        yield from score_lines("-", sys.stdin.buffer, workers, lex, config, fmt, hints)
        return
    with open(path, "rb", buffering=LINE_BUFFER) as fh:
        yield from score_lines(path, fh, workers, lex, config, fmt, hints)
