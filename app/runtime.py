"""Process-wide tuning for long runs (the service, scoring a file): one place for both."""

from __future__ import annotations

import gc

# Left as it is, Python's cyclic garbage collector kept walking the 140,000-odd objects alive
# since start-up (the lexicon, jieba's dictionary, the modules). Timed with gc.callbacks in a
# 25 s load run of the service, each worker spent 1.4 s in 14-16 full passes (up to 148 ms
# each, the worker stopped meanwhile) and 0.6 s in some 1,700 young-generation passes (one per
# 700 objects allocated). With those objects frozen the full passes took 0.2 s in all; with
# the young threshold at 5,000, the young passes took about a tenth of the time.
GC_YOUNG_THRESHOLD = 5_000


def settle_gc() -> None:
    """After start-up: move everything alive now (lexicon, dictionaries, modules) out of the
    collector's sight for good (gc.freeze) and let the young generation grow larger before
    it is collected. The work's own objects are still collected as before."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
