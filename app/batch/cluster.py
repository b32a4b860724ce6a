"""The same chunk scoring on a Dask distributed cluster: each chunk of calls, read here in
input order, is scored by a Dask worker (the lexicon compiled once per worker process), and the
results come back in order, so the output is identical to a local run's."""

from __future__ import annotations

from app.score.scorer import ScoringConfig


class DaskScorer:
    """`address`: a scheduler address (tcp://host:8786), or "file:PATH" for a scheduler file."""

    def __init__(self, address: str, lexicon: tuple[str, dict[str, bytes]], config: ScoringConfig, hints):
        from distributed import Client

        if address.startswith("file:"):
            self.client = Client(scheduler_file=address[5:], timeout="30s")
        else:
            self.client = Client(address, timeout="30s")
        self.lexicon = lexicon  # (version, files): the workers need not see the lexicon folder
        self.config = config
        self.hints = hints
        self._processes = max(2, sum(self.client.nthreads().values()))

    def apply_async(self, fn, args: tuple):
        """fn(*args) on the cluster (futures among the args are resolved there), as a pool's."""
        return _Pending(self.client.submit(fn, *args, pure=False))

    def close(self) -> None:
        self.client.close()


class _Pending:
    def __init__(self, future):
        self.future = future

    def get(self):
        return self.future.result()
