"""Word segmentation with our own jieba.Tokenizer, never the process-wide `jieba.dt`.

Used to check that a candidate hit starts and ends on word boundaries (不行 is not a word in
不行驶) and that a same-sound hit is not simply another real word (步行 is not 不行).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterable


def _import_jieba():
    """jieba 0.42 finds its dictionary through pkg_resources when that imports: a tenth of a
    second at every start, and deprecated. Its own fallback opens the file beside the module,
    as it does wherever setuptools no longer ships pkg_resources; the mask lasts this import only."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
jieba.setLogLevel(logging.WARNING)


class Segmenter:
    """A jieba tokenizer with the lexicon's terms added, initialised once and shared read-only."""

    def __init__(self):
        # One tokenizer serves compiling (cutting phrases) and matching: jieba's dictionary
        # takes half a second to load and some 100 MB to hold. Lexicon terms come later,
        # through add_terms, once the phrases are known.
        cache = os.path.join(tempfile.gettempdir(), f"callqa-jieba-{os.getuid() if hasattr(os, 'getuid') else 0}.cache")
        self._tok = jieba.Tokenizer()
        self._tok.tmp_dir = None
        self._tok.cache_file = cache
        self._ready = False
        self._lock = threading.Lock()
        self._bounds: dict[str, frozenset[int]] = {}

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._tok.initialize()
            self._ready = True

    def _add(self, terms: Iterable[str]) -> None:
        for term in terms:
            # Only unknown terms are added, with jieba's own suggested frequency: enough to
            # be cut as one word, never enough to be carved out of a longer real word.
            if len(term) >= 2 and not self._tok.FREQ.get(term):
                self._tok.add_word(term)

    def add_terms(self, terms: Iterable[str]) -> None:
        """Add the lexicon's terms once its phrases are known (before matching starts)."""
        self._ensure()
        with self._lock:
            self._add(terms)
            self._bounds.clear()

    def freq(self, word: str) -> int:
        """How common a word is in jieba's dictionary (0 when unknown): rarer parts make
        better automaton anchors."""
        self._ensure()
        return self._tok.FREQ.get(word) or 0

    def cut(self, text: str) -> list[str]:
        self._ensure()
        return list(self._tok.cut(text, HMM=False))

    def boundaries(self, text: str) -> frozenset[int]:
        """Offsets in `text` at which a word starts or ends. Agents say the same sentences over
        and over, so the few characters around a candidate hit repeat: the last answers are kept
        (cutting with jieba is the costliest step of a check)."""
        found = self._bounds.get(text)
        if found is None:
            pos = 0
            out = {0}
            for word in self.cut(text):
                pos += len(word)
                out.add(pos)
            if len(self._bounds) >= 50_000:
                self._bounds.clear()
            found = self._bounds[text] = frozenset(out)
        return found

    def is_word(self, text: str) -> bool:
        """True when `text` is a word of the dictionary in its own right."""
        self._ensure()
        return bool(self._tok.FREQ.get(text))
