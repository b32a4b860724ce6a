"""Run the service under uvicorn: one process, or several worker processes.

With several workers each one opens its own listening socket on the port (SO_REUSEPORT), so
the kernel spreads new connections evenly over them. Sharing one socket, as uvicorn's own
worker mode does, lets whichever worker is idle at that moment take a burst of keep-alive
connections: under load one worker then held 27 of 32 clients while the other sat half idle.
The parent process starts the workers, starts another if one dies, and stops them on SIGINT
or SIGTERM. A worker whose parent dies all the same (SIGKILL, the out-of-memory killer) is
sent SIGTERM by the kernel and stops too, instead of living on alone with the port.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time

from app.errors import ConfigError

log = logging.getLogger("callqa")
APP = "app.api.app:create_service"
START_GRACE = 10.0  # a worker that exits by itself sooner than this after starting could not start


def serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    if workers <= 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level="info", access_log=False, http=_protocol())
        return
    check_free(host, port)
    ctx = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    procs: dict[int, tuple[multiprocessing.Process, float]] = {}

    def start(slot: int) -> None:
        p = ctx.Process(target=_worker, args=(host, port, os.getpid()), name=f"callqa-worker-{slot}")
        p.start()
        procs[slot] = (p, time.monotonic())

    for slot in range(workers):
        start(slot)
    up = False  # has every worker once run past its start-up?
    retry_at: dict[int, float] = {}  # slot -> when to start it again
    failures: dict[int, int] = {}
    try:
        while not stop.wait(0.5):
            now = time.monotonic()
            up = up or all(p.is_alive() and now - started >= START_GRACE for p, started in procs.values())
            for slot, (p, started) in list(procs.items()):
                if p.is_alive():
                    if now - started >= START_GRACE:
                        failures.pop(slot, None)
                    continue
                if slot in retry_at:
                    if now >= retry_at[slot]:
                        del retry_at[slot]
                        start(slot)
                    continue
                failed_start = bool(p.exitcode and p.exitcode > 0 and now - started < START_GRACE)
                if failed_start and not up:
                    # it stopped itself (not killed by a signal) before the service was ever up:
                    # the settings are wrong, and starting it again would fail again
                    raise ConfigError(f"worker {slot} exited during start-up (exit code {p.exitcode}); "
                                      "its log above says why")
                if failed_start:
                    # The others keep serving; this one is tried again, less and less often.
                    failures[slot] = failures.get(slot, 0) + 1
                    delay = min(60.0, 2.0 ** failures[slot])
                    log.error("worker %d could not start (exit code %s); the other workers go on serving; "
                              "trying again in %.0f s", slot, p.exitcode, delay)
                    retry_at[slot] = now + delay
                    continue
                log.warning("worker %d (pid %d) exited with code %s; starting another", slot, p.pid, p.exitcode)
                start(slot)
    finally:
        for p, _ in procs.values():
            if p.is_alive():
                p.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for p, _ in procs.values():
            p.join(timeout=30)
            if p.is_alive():
                p.kill()


def _protocol():
    """uvicorn's httptools protocol answering parser errors as JSON (app.api.protocol), where
    httptools is installed; uvicorn's choice otherwise."""
    try:
        from app.api.protocol import JsonErrorsProtocol
    except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
        return "auto"
    return JsonErrorsProtocol


def _address(host: str, port: int):
    family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return family, addr


def check_free(host: str, port: int) -> None:
    """Refuse a port something else listens on. (With SO_REUSEPORT a second callqa would
    otherwise bind beside the first and quietly take half its connections.)"""
    family, addr = _address(host, port)
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed server's TIME_WAIT is no obstacle
        try:
            s.bind(addr)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}; is another server running there?") \
                from exc


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent(parent: int) -> None:
    """Linux: have the kernel send this process SIGTERM when its parent dies, however it dies.
    Elsewhere nothing is done."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):  # no prctl: not Linux
        return
    if os.getppid() != parent:  # the parent died before the request was in place
        os.kill(os.getpid(), signal.SIGTERM)


def _worker(host: str, port: int, parent: int) -> None:  # pragma: no cover - runs in the worker processes
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="callqa: %(message)s")
    _stop_with_parent(parent)
    family, addr = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(addr)
    sock.listen(2048)
    config = uvicorn.Config(APP, factory=True, log_level="info", access_log=False, http=_protocol())
    uvicorn.Server(config).run(sockets=[sock])
