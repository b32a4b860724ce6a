from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.lexicon.compiler import default_lexicon_dir

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_score_samples_to_file(tmp_path, capsys):
    out = tmp_path / "results.jsonl"
    assert main(["score", str(SAMPLES / "calls.jsonl"), "-o", str(out)]) == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    n_calls = sum(1 for line in (SAMPLES / "calls.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(results) == n_calls
    for r in results:
        assert {"call_id", "score", "passed", "lexicon_version", "rules"} <= r.keys()
    by_id = {r["call_id"]: r for r in results}
    assert by_id["c-0001"]["passed"] and not by_id["c-0002"]["passed"]
    assert list(out.parent.glob(".results.jsonl.*")) == []  # no temporary left behind


def test_bad_records_are_reported_and_the_rest_scored(tmp_path, capsys):
    errors = tmp_path / "errors.jsonl"
    code = main(["score", str(SAMPLES / "bad_input.jsonl"), "--errors", str(errors)])
    captured = capsys.readouterr()
    assert code == 1
    scored = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["call_id"] for r in scored] == ["c-0001", "c-0007"]
    assert "bad_input.jsonl:2: refused: invalid JSON" in captured.err
    assert "bad_input.jsonl:3: refused: utterances.0.speaker" in captured.err
    assert "no agent speech" in captured.err
    rows = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [2, 3, 4, 5, 6, 7]


def test_single_json_and_array_files(tmp_path, capsys):
    call = json.loads((SAMPLES / "call.json").read_text(encoding="utf-8"))
    arr = tmp_path / "calls.json"
    arr.write_text(json.dumps([call, {**call, "call_id": "c-two"}], ensure_ascii=False), encoding="utf-8")
    assert main(["score", str(SAMPLES / "call.json"), str(arr)]) == 0
    ids = [json.loads(line)["call_id"] for line in capsys.readouterr().out.splitlines()]
    assert ids == ["c-0001", "c-0001", "c-two"]


def test_non_utf8_line_is_refused_alone(tmp_path, capsys):
    good = (SAMPLES / "calls.jsonl").read_bytes().splitlines()[0]
    f = tmp_path / "mixed.jsonl"
    f.write_bytes(good + b"\n" + b'{"call_id": "\xff\xfe"}\n' + good + b"\n")
    assert main(["score", str(f)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "mixed.jsonl:2: refused" in captured.err


def test_broken_lexicon_writes_nothing(tmp_path, capsys):
    lex = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), lex)
    (lex / "closing.yaml").write_text("rules:\n  - id: closing\n    kind: nope\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["score", str(SAMPLES / "calls.jsonl"), "--lexicons", str(lex), "-o", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "closing.yaml rule 'closing' field 'kind'" in err and "field 'message'" in err


def test_missing_input_file(capsys):
    assert main(["score", "no-such-file.jsonl"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_var_default_fills_missing_company(tmp_path, capsys):
    call = {"call_id": "v", "utterances": [{"speaker": "agent", "text": "您好，瑞丰电器。"}, {"speaker": "agent", "text": "再见"}]}
    f = tmp_path / "v.json"
    f.write_text(json.dumps(call, ensure_ascii=False), encoding="utf-8")
    assert main(["score", str(f)]) == 0
    greet = [r for r in json.loads(capsys.readouterr().out)["rules"] if r["rule_id"] == "greeting"][0]
    assert greet["status"] == "not_applicable"
    assert main(["score", str(f), "--var", "company=瑞丰电器,瑞丰"]) == 0
    greet = [r for r in json.loads(capsys.readouterr().out)["rules"] if r["rule_id"] == "greeting"][0]
    assert greet["status"] == "passed"


def test_lexicon_check(capsys, tmp_path):
    assert main(["lexicon", "check"]) == 0
    assert "all" in capsys.readouterr().out
    lex = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), lex)
    p = lex / "closing.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("      miss:\n        - 好的，就这样。", "      miss:\n        - 好的，再见。"), encoding="utf-8")
    assert main(["lexicon", "check", str(lex)]) == 1
    out = capsys.readouterr().out
    assert "FAIL closing.yaml rule 'closing' miss example 1" in out


def test_stdin_and_console_script(tmp_path):
    exe = Path(sys.executable).with_name("callqa")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    data = (SAMPLES / "calls.jsonl").read_bytes()
    proc = subprocess.run([str(exe), "score", "-"], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(proc.stdout.splitlines()) == len([line for line in data.splitlines() if line.strip()])
    helptext = subprocess.run([str(exe), "score", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--output" in helptext and "JSONL" in helptext


def test_serve_refuses_a_public_address_without_keys(capsys, monkeypatch):
    monkeypatch.delenv("CALLQA_API_KEYS", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "refusing to listen on 0.0.0.0 with no API keys" in capsys.readouterr().err


def test_key_new_prints_a_key_and_its_hash(capsys):
    from app.keys import digest

    assert main(["key", "new", "--role", "read", "--name", "qa-team"]) == 0
    out = capsys.readouterr().out.splitlines()
    key = out[0].rsplit(" ", 1)[1]
    entry = json.loads(out[-1])
    assert entry == {"name": "qa-team", "role": "read", "sha256": digest(key)}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Live worker processes started by pid (Linux /proc; multiprocessing's resource
    tracker, also a child, is left out)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and b"spawn_main" in cmdline:
            out.append(int(stat.parent.name))
    return sorted(out)


def test_serve_with_two_workers_answers_and_stops(tmp_path):
    """Two worker processes, each with its own socket on the port; one that dies is replaced;
    SIGTERM stops them all."""
    import signal
    import socket
    import time
    import urllib.request

    port = _free_port()
    env = {**os.environ, "CALLQA_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    env.pop("CALLQA_API_KEYS", None)
    errlog = tmp_path / "serve.log"
    with errlog.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert json.loads(r.read())["status"] == "ok"
                    break
            except OSError:
                assert proc.poll() is None, errlog.read_text()[-2000:]
                assert time.monotonic() < deadline, "the service did not answer in 90 s"
                time.sleep(0.5)
        # a worker that dies is replaced
        children = _children(proc.pid)
        assert len(children) == 2
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 90
        while not (len(_children(proc.pid)) == 2 and children[0] not in _children(proc.pid)):
            assert time.monotonic() < deadline, "no worker started in place of the killed one"
            time.sleep(0.5)
        assert proc.poll() is None
        # a second server on the same port is refused, not let in beside the first
        second = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "cannot listen" in second.stderr and "serving on" not in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    with socket.socket() as s:  # no worker listens on the port any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed connections' TIME_WAIT aside
        s.bind(("127.0.0.1", port))
        s.listen()


def test_workers_stop_when_serve_is_killed(tmp_path):
    """Killed outright (SIGKILL: no chance to stop its workers), serve leaves no worker behind
    holding the port."""
    import socket
    import time

    port = _free_port()
    env = {**os.environ, "CALLQA_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    env.pop("CALLQA_API_KEYS", None)
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while len(workers := _children(proc.pid)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start two workers"
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    deadline = time.monotonic() + 60
    while alive := [pid for pid in workers if os.path.exists(f"/proc/{pid}") and _state(pid) != "Z"]:
        assert time.monotonic() < deadline, f"workers {alive} still running a minute after serve was killed"
        time.sleep(0.2)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_serve_refuses_to_start_on_a_lexicon_it_cannot_use(tmp_path):
    """A lexicon that cannot be used stops the start before any worker runs: exit 2, the reason given."""
    env = {**os.environ, "CALLQA_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "CALLQA_LEXICON_DIR": str(tmp_path / "missing")}
    env.pop("CALLQA_API_KEYS", None)
    done = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(_free_port()), "--workers", "2"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "lexicon refused" in done.stderr and "no such folder" in done.stderr and "serving on" not in done.stderr


def _good_call() -> dict:
    return json.loads((SAMPLES / "call.json").read_text(encoding="utf-8"))


def test_deep_nesting_and_lone_surrogates_are_refused_records(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10000 + "]" * 10000, encoding="utf-8")
    arr = tmp_path / "arr.json"
    arr.write_text('[{"call_id": "a\\ud800", "utterances": [{"speaker": "agent", "text": "x"}]}, '
                   + json.dumps(_good_call(), ensure_ascii=False) + "]", encoding="utf-8")
    assert main(["score", str(deep), str(arr)]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["call_id"] for line in captured.out.splitlines()] == ["c-0001"]
    assert f"{deep}: refused: invalid JSON: nested too deeply" in captured.err  # the whole file: no line number
    assert f"{arr}:1: refused:" in captured.err and "surrogate" in captured.err


def test_a_byte_order_mark_is_read_past(tmp_path, capsys):
    f = tmp_path / "bom.json"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps(_good_call()).encode())
    g = tmp_path / "bom.jsonl"
    g.write_bytes(b"\xef\xbb\xbf" + json.dumps(_good_call()).encode() + b"\n")
    assert main(["score", str(f), str(g)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_python_json_messages_read_well(tmp_path, capsys):
    f = tmp_path / "cut.json"
    f.write_text('[{"call_id": "x', encoding="utf-8")
    assert main(["score", str(f)]) == 1
    err = capsys.readouterr().err
    assert "at at" not in err and "Unterminated string starting at line 1 column" in err


@pytest.mark.parametrize("target", ["missing-folder/out.jsonl", "."], ids=["missing folder", "a folder"])
@pytest.mark.parametrize("option", ["-o", "--errors"])
def test_outputs_that_cannot_be_written_are_refused_first(tmp_path, capsys, monkeypatch, option, target):
    monkeypatch.chdir(tmp_path)
    assert main(["score", str(SAMPLES / "calls.jsonl"), option, target]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"callqa: {option} {target}:") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize("mark", ["500", "nan", "-1", "eighty"])
def test_pass_marks_out_of_range_are_usage_errors(capsys, mark):
    with pytest.raises(SystemExit) as exc:
        main(["score", str(SAMPLES / "calls.jsonl"), "--pass-mark", mark])
    assert exc.value.code == 2 and "expected a score from 0 to 100" in capsys.readouterr().err


@pytest.mark.parametrize("name,value", [
    ("CALLQA_VARIABLES", "{not json"), ("CALLQA_VARIABLES", '{"company": 5}'), ("CALLQA_PASS_MARK", "nan"),
    ("CALLQA_PASS_MARK", "500"), ("CALLQA_API_KEYS", "[{\"name\": 1}]"), ("CALLQA_API_KEYS", "nope"),
    ("CALLQA_TIMEZONE", "Mars/Olympus"),
])
@pytest.mark.parametrize("command", [["score", str(SAMPLES / "calls.jsonl")], ["serve", "--port", "1"]])
def test_malformed_settings_are_named_not_traced(capsys, monkeypatch, name, value, command):
    monkeypatch.setenv(name, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err, err


def test_score_reads_every_format_and_goes_on_past_bad_files(tmp_path, capsys):
    formats = SAMPLES / "formats"
    bad = tmp_path / "noise.txt"
    bad.write_text("nothing here is a transcript", encoding="utf-8")
    files = sorted(str(p) for p in formats.iterdir())
    assert main(["score", *files, str(bad), "--var", "company=瑞丰电器"]) == 1
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert len(results) == len(files) and {r["score"] for r in results} == {100.0}
    assert f"{bad}: refused: unknown format" in captured.err


def test_format_and_agent_options(tmp_path, capsys):
    aliyun = SAMPLES / "formats" / "aliyun.json"
    assert main(["score", str(aliyun), "--format", "aliyun", "--agent", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["source"] == {"format": "aliyun", "roles": "mapped", "agent_speaker": "0",
                                "note": "speaker '0' is the agent as configured; '1' the customer"}
    assert main(["score", str(aliyun), "--format", "tencent"]) == 1
    assert "not tencent" in capsys.readouterr().err
    lines = tmp_path / "vendor.jsonl"
    volcengine = json.loads((SAMPLES / "formats" / "volcengine.json").read_text(encoding="utf-8"))
    lines.write_text(aliyun.read_text(encoding="utf-8").replace("\n", "") + "\n"
                     + (SAMPLES / "call.json").read_text(encoding="utf-8").replace("\n", "") + "\n"
                     + json.dumps({**volcengine, "reqid": "v-7"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["score", str(lines)]) == 0
    assert [json.loads(x)["call_id"] for x in capsys.readouterr().out.splitlines()] == ["rf-20261127-0001", "c-0001", "v-7"]


def _mixed_lines(path: Path) -> None:
    """Over a megabyte of JSON Lines (enough for the worker processes), with a byte order
    mark, and among good calls: broken JSON, a call with a bad field, a call with no agent
    speech, blank lines, a line that is not UTF-8 and a call in a vendor's format."""
    from benchmarks.speed import speed_call

    rng = random.Random(8)
    lines = [json.dumps(speed_call(i, rng), ensure_ascii=False).encode() for i in range(400)]
    vendor = {"TaskId": "ali-1", "Result": {"Sentences": [
        {"ChannelId": 0, "BeginTime": 0, "EndTime": 2000, "Text": "您好，瑞丰电器，请问有什么可以帮您？"},
        {"ChannelId": 1, "BeginTime": 2100, "EndTime": 3000, "Text": "我家空调坏了。"}]}}
    for at, bad in ((0, b'{"call_id": "x-0", "utterances": [}'), (199, b'{"call_id": "", "utterances": []}'),
                    (200, b""), (201, b'{"call_id": "x-2", "utterances": [{"speaker": "customer", "text": "\xe5\x96\x82"}]}'),
                    (250, b"\xff\xfe not utf-8"), (399, json.dumps(vendor).encode()), (401, b'[1, 2')):
        lines.insert(at, bad)
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    assert path.stat().st_size > 2**20


def test_score_on_two_workers_writes_what_one_writes(tmp_path, capsys, monkeypatch):
    """Blocks of lines scored by worker processes come back in order: the results, the refused
    records (on stderr and in --errors) and the exit code are those of one process."""
    from app.batch import lines

    log = tmp_path / "calls.jsonl"
    _mixed_lines(log)
    pools = []
    real = lines.score_lines
    monkeypatch.setattr(lines, "score_lines", lambda *a: pools.append(a[2]) or real(*a))
    runs = {}
    for workers in ("1", "2"):
        out, errors = tmp_path / f"out{workers}.jsonl", tmp_path / f"errors{workers}.jsonl"
        code = main(["score", str(log), "-o", str(out), "--errors", str(errors), "--workers", workers, "--no-progress"])
        runs[workers] = (code, out.read_bytes(), errors.read_bytes(), capsys.readouterr().err.split("callqa: scored")[0])
    assert pools == [2]  # one process, then two
    assert runs["1"] == runs["2"]
    code, out, errors, stderr = runs["2"]
    assert code == 1 and out.count(b"\n") == 401  # 400 calls and the vendor's
    refused = [json.loads(line) for line in errors.splitlines()]
    assert [r["line"] for r in refused] == [1, 200, 202, 251, 402]
    assert "ali-1" in out.decode() and "no agent speech" in stderr
