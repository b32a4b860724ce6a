"""Worker processes for the batch commands: forked, so they start with what the parent has
loaded (the compiled lexicon, jieba's dictionary), and their results handed back in the order
the work was given, a few tasks ahead at most so memory stays bounded however long the input."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def forked(workers: int):
    """A pool of `workers` processes forked from this one."""
    return multiprocessing.get_context("fork").Pool(workers)


def in_order(pool, tasks: Iterable[tuple[Any, Callable, tuple]], ahead: int | None = None) -> Iterator[tuple[Any, Any]]:
    """(key, fn(*args)) of each (key, fn, args) task, run by `pool`, in the order given; at
    most `ahead` tasks (default: twice the processes, at least 4) given out before their
    results are taken."""
    ahead = ahead or max(4, 2 * getattr(pool, "_processes", 2))
    window: deque = deque()
    for key, fn, args in tasks:
        window.append((key, pool.apply_async(fn, args)))
        if len(window) >= ahead:
            k, pending = window.popleft()
            yield k, pending.get()
    while window:
        k, pending = window.popleft()
        yield k, pending.get()
