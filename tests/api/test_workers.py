"""`callqa serve --workers 2`: one lexicon for every worker, before and after reloads, refused
edits and a worker's death."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from app.lexicon.compiler import default_lexicon_dir
from tests.test_cli import _children, _free_port


def _get(port: int, path: str, method: str = "GET") -> tuple[int, dict]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # a new connection each time: either worker may answer
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _versions(port: int, n: int = 40) -> set[str]:
    out = set()
    for _ in range(n):
        status, body = _get(port, "/v1/lexicons")
        assert status == 200, body
        out.add(body["version"])
    return out


def _wait_up(proc, port: int, log) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        assert proc.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "the service did not answer in 90 s"
        time.sleep(0.5)


def test_every_worker_scores_with_the_lexicon_in_use(tmp_path):
    lexdir = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), lexdir)
    closing = lexdir / "closing.yaml"
    port = _free_port()
    env = {**os.environ, "CALLQA_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "CALLQA_LEXICON_DIR": str(lexdir)}
    env.pop("CALLQA_API_KEYS", None)
    env.pop("CALLQA_RUN_DIR", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        _wait_up(proc, port, log)
        (first,) = _versions(port, 10)
        # a good edit, reloaded through one worker, is what every worker answers from then on
        closing.write_text(re.sub(r"deduction: \{once: \d+\}", "deduction: {once: 15}",
                                  closing.read_text(encoding="utf-8"), count=1), encoding="utf-8")
        status, body = _get(port, "/v1/lexicons/reload", "POST")
        assert status == 200 and body["version"] != first
        second = body["version"]
        assert _versions(port) == {second}
        # an emptied rule file is refused (the rule would be lost), and so is a broken one
        closing_text = closing.read_text(encoding="utf-8")
        closing.write_text("", encoding="utf-8")
        status, body = _get(port, "/v1/lexicons/reload", "POST")
        assert status == 422 and any("retired" in d["message"] for d in body["error"]["details"]), body
        closing.write_text(closing_text.replace("kind: required", "kind: nope", 1), encoding="utf-8")
        status, body = _get(port, "/v1/lexicons/reload", "POST")
        assert status == 422
        # with the refused edit left on disk a worker dies: its replacement comes up on the
        # lexicon in use, and the service never stops answering
        children = _children(proc.pid)
        assert len(children) == 2
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 90
        while not (len(_children(proc.pid)) == 2 and children[0] not in _children(proc.pid)):
            assert proc.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "no worker started in place of the killed one"
            try:
                assert _get(port, "/healthz")[0] == 200
            except ConnectionResetError:
                # a connection the kernel had queued on the killed worker's socket; the
                # next one goes to a live worker
                assert _get(port, "/healthz")[0] == 200
            time.sleep(0.3)
        while log.read_text().count("Application startup complete") < 3:  # the new worker listens
            assert time.monotonic() < deadline, "the new worker did not finish starting"
            time.sleep(0.3)
        assert proc.poll() is None
        assert _versions(port) == {second}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
