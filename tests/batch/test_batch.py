"""callqa batch and backtest: every input layout, the same rows whatever the layout, the
workers or the cluster, bad rows refused by number, resumable after kill -9, stored like the
service stores, and the verdicts a lexicon edit flips."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "samples" / "logs"
SOURCE_COLUMNS = ["source", "source_row"]


def _table(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix == ".csv" else pd.read_parquet(path)
    return frame.drop(columns=SOURCE_COLUMNS)


def test_every_input_layout_gives_the_same_rows(tmp_path, capsys):
    outputs = []
    for name, extra in [("utterances.csv", []), ("utterances.parquet", []), ("utterances.jsonl", []), ("calls.csv", []),
                        ("utterances-renamed.xlsx", ["--columns", "call_id=session_id,speaker=role,text=content"])]:
        out = tmp_path / f"{name}.csv"
        assert main(["batch", str(LOGS / name), "-o", str(out), "--workers", "1", *extra]) == 0, name
        outputs.append(_table(out))
    for other in outputs[1:]:
        pd.testing.assert_frame_equal(outputs[0], other)
    printed = capsys.readouterr().out
    assert "calls scored: 7; refused: 0" in printed and "violation rate per rule" in printed and "worst agents" in printed


def test_batch_agrees_with_score(tmp_path, capsys):
    out = tmp_path / "calls.parquet"
    assert main(["batch", str(LOGS / "utterances.csv"), "-o", str(out), "--workers", "1"]) == 0
    batch = pd.read_parquet(out).set_index("call_id")
    capsys.readouterr()
    assert main(["score", str(ROOT / "samples" / "calls.jsonl")]) == 0
    for line in capsys.readouterr().out.splitlines():
        r = json.loads(line)
        row = batch.loc[r["call_id"]]
        assert row["score"] == r["score"] and bool(row["passed"]) == r["passed"]
        for rule in r["rules"]:
            assert row[f"{rule['rule_id']}.status"] == rule["status"]
            assert row[f"{rule['rule_id']}.hits"] == len(rule["hits"])


def _speed_log(path: Path, n: int, seed: int = 3) -> None:
    from benchmarks.batch import write_utterance_csv

    write_utterance_csv(path, n, seed)


def test_two_workers_write_what_one_writes(tmp_path):
    log = tmp_path / "log.csv"
    _speed_log(log, 300)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    hits_one, hits_two = tmp_path / "h1.csv", tmp_path / "h2.csv"
    assert main(["batch", str(log), "-o", str(one), "--hits", str(hits_one), "--workers", "1"]) == 0
    assert main(["batch", str(log), "-o", str(two), "--hits", str(hits_two), "--workers", "2"]) == 0
    assert one.read_bytes() == two.read_bytes() and hits_one.read_bytes() == hits_two.read_bytes()
    assert len(pd.read_csv(one)) == 300


def test_workers_reading_blocks_write_what_one_process_writes(tmp_path, monkeypatch):
    """With two workers each reads blocks of the table itself: calls cut by a block's edge,
    refused rows (their row numbers included) and a call id that comes back come out as when
    one process reads the whole table; CSV and Parquet."""
    from app.batch import partitions

    log = tmp_path / "log.csv"
    _awkward_log(log)
    parquet = tmp_path / "log.parquet"
    pd.read_csv(log, dtype=str, keep_default_na=False).to_parquet(parquet, row_group_size=300)
    for source in (log, parquet):
        stem = source.suffix[1:]
        assert main(["batch", str(source), *_outputs(tmp_path, f"one-{stem}"), "--workers", "1"]) == 1
        monkeypatch.setattr(partitions, "LOCAL_BLOCK_BYTES", 5000)  # calls span blocks
        blocks: list[int] = []

        def spy(pool, parts, *args, real=partitions._scored_here, seen=blocks):
            seen.append(len(parts))
            return real(pool, parts, *args)

        monkeypatch.setattr(partitions, "_scored_here", spy)
        assert main(["batch", str(source), *_outputs(tmp_path, f"two-{stem}"), "--workers", "2"]) == 1
        assert blocks and blocks[0] > 10  # the workers read the blocks
        _same_outputs(tmp_path, f"one-{stem}", f"two-{stem}")
        errors = pd.read_csv(tmp_path / f"two-{stem}-errors.csv")
        assert any(e.startswith("row ") for e in errors["error"])  # a message naming its row, renumbered
        monkeypatch.undo()


def test_bad_rows_are_refused_by_number_and_the_rest_scored(tmp_path, capsys):
    rows = pd.read_csv(LOGS / "utterances.csv", dtype=str, keep_default_na=False)
    bad = pd.concat([rows.iloc[:10],
                     pd.DataFrame([{"call_id": "", "speaker": "agent", "text": "您好"}]),
                     pd.DataFrame([{"call_id": "x-1", "speaker": "agent", "text": "您好", "start_ms": "soon"}]),
                     pd.DataFrame([{"call_id": "x-2", "speaker": "customer", "text": "喂"}]),
                     rows.iloc[10:20],
                     pd.DataFrame([{"call_id": rows.iloc[0]["call_id"], "speaker": "agent", "text": "再见"}])])
    log = tmp_path / "bad.csv"
    bad.to_csv(log, index=False)
    errors = tmp_path / "refused.csv"
    assert main(["batch", str(log), "-o", str(tmp_path / "out.csv"), "--errors", str(errors), "--workers", "1"]) == 1
    refused = pd.read_csv(errors)
    reasons = dict(zip(refused["row"], refused["error"], strict=True))
    assert "call_id is empty" in reasons[11]
    assert "start_ms: expected milliseconds" in reasons[12]
    assert "no agent speech" in reasons[13]
    assert "appears again apart from its other rows" in reasons[24]
    assert "refused: 4" in capsys.readouterr().out
    assert set(pd.read_csv(tmp_path / "out.csv")["call_id"]) >= {rows.iloc[0]["call_id"]}


def test_a_table_without_the_needed_columns_is_named(tmp_path, capsys):
    log = tmp_path / "odd.csv"
    pd.DataFrame([{"session": "a", "role": "agent", "content": "您好"}]).to_csv(log, index=False)
    assert main(["batch", str(log), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "no column call_id, speaker, text" in err and "--columns" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.csv"]  # no output, nothing left to resume


def _run(args: list[str], stderr=subprocess.DEVNULL) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=stderr)


def test_a_run_killed_at_any_point_resumes_to_the_same_output(tmp_path):
    log = tmp_path / "log.csv"
    _speed_log(log, 2400)
    clean = tmp_path / "clean.csv"
    assert main(["batch", str(log), "-o", str(clean), "--workers", "2"]) == 0
    out = tmp_path / "resumed.csv"
    state = out.with_name(out.name + ".partial")
    rng = random.Random(11)
    kills = 0
    for _ in range(3):
        proc = _run(["batch", str(log), "-o", str(out), "--workers", "2", "--no-progress"])
        deadline = time.monotonic() + 120
        want = rng.randint(1, 3)  # chunks done before the kill, at a random point after
        while len(list(state.glob("done-*"))) < want and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.random() * 0.2)
        if proc.poll() is not None:
            break  # it finished first: nothing more to interrupt
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        assert not out.exists()  # complete or not at all
    assert kills >= 1
    proc = _run(["batch", str(log), "-o", str(out), "--workers", "2", "--no-progress"], stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert out.read_bytes() == clean.read_bytes()
    assert not state.exists()


@contextmanager
def _database(url: str):
    """CALLQA_DATABASE_URL set to `url` for the commands run inside."""
    before = os.environ.get("CALLQA_DATABASE_URL")
    os.environ["CALLQA_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CALLQA_DATABASE_URL")
        else:
            os.environ["CALLQA_DATABASE_URL"] = before


@pytest.mark.parametrize("workers", ["1", "2"])
def test_store_writes_the_service_tables(tmp_path, engine, capsys, workers):
    with _database(engine.url.render_as_string(hide_password=False)):
        for _ in range(2):  # a second run replaces, never duplicates
            assert main(["batch", str(LOGS / "utterances.csv"), "-o", str(tmp_path / "o.csv"), "--store",
                         "--workers", workers]) == 0
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM calls")).scalar_one() == 7
        assert conn.execute(text("SELECT count(*) FROM violations")).scalar_one() > 0


def _awkward_log(path: Path) -> None:
    """Generated calls with a refused row of every kind among them and a call id that comes
    back later, once early in the file and once at its end."""
    _speed_log(path, 120)
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    first = rows[rows["call_id"] == rows["call_id"].iloc[0]]
    pd.concat([rows.iloc[:700],
               pd.DataFrame([{"call_id": "", "speaker": "agent", "text": "您好"}]),
               pd.DataFrame([{"call_id": "x-1", "speaker": "agent", "text": "您好", "start_ms": "soon"}]),
               first.iloc[:3],
               pd.DataFrame([{"call_id": "x-2", "speaker": "customer", "text": "喂"}]),
               rows.iloc[700:3000], first.iloc[3:6], rows.iloc[3000:]]).to_csv(path, index=False)


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def _outputs(folder: Path, name: str) -> list[str]:
    return ["-o", str(folder / f"{name}.csv"), "--hits", str(folder / f"{name}-hits.csv"),
            "--errors", str(folder / f"{name}-errors.csv")]


def _same_outputs(folder: Path, a: str, b: str) -> None:
    for suffix in ("", "-hits", "-errors"):
        assert (folder / f"{a}{suffix}.csv").read_bytes() == (folder / f"{b}{suffix}.csv").read_bytes(), suffix


def test_dask_cluster_gives_the_local_output(tmp_path, dask_cluster):
    """The workers read the table's partitions themselves; calls cut by a partition boundary,
    refused rows and repeated call ids come out as in a local run, CSV and Parquet alike."""
    log = tmp_path / "log.csv"
    _awkward_log(log)
    assert main(["batch", str(log), *_outputs(tmp_path, "local"), "--workers", "1"]) == 1
    parquet = tmp_path / "log.parquet"
    pd.read_csv(log, dtype=str, keep_default_na=False).to_parquet(parquet, row_group_size=500)
    for name, source, options in (("small", log, ["--partition-mb", "0.005"]),  # ~5 KB: calls span partitions
                                  ("large", log, []), ("parquet", parquet, [])):
        assert main(["batch", str(source), *_outputs(tmp_path, name), "--dask", dask_cluster.scheduler_address,
                     *options]) == 1
    _same_outputs(tmp_path, "local", "small")
    _same_outputs(tmp_path, "local", "large")
    local, remote = pd.read_csv(tmp_path / "local.csv"), pd.read_csv(tmp_path / "parquet.csv")
    pd.testing.assert_frame_equal(local.drop(columns="source"), remote.drop(columns="source"))
    assert (tmp_path / "local-errors.csv").read_text().count("\n") == 7  # header and 6 refused
    # a line break inside a quoted cell: byte partitions would cut the cell, so the client reads it
    rows = pd.read_csv(log, dtype=str, keep_default_na=False)
    rows.loc[::5, "text"] = rows["text"][::5] + "\n请问还有什么可以帮您"
    broken = tmp_path / "broken.csv"
    rows.to_csv(broken, index=False)
    assert main(["batch", str(broken), *_outputs(tmp_path, "broken-local"), "--workers", "1"]) == 1
    assert main(["batch", str(broken), *_outputs(tmp_path, "broken-dask"), "--dask", dask_cluster.scheduler_address,
                 "--partition-mb", "0.005"]) == 1
    _same_outputs(tmp_path, "broken-local", "broken-dask")


def test_a_dask_run_killed_resumes_to_the_same_output(tmp_path, dask_cluster):
    log = tmp_path / "log.csv"
    _awkward_log(log)
    assert main(["batch", str(log), *_outputs(tmp_path, "local"), "--workers", "1"]) == 1
    state = tmp_path / "resumed.csv.partial"
    args = ["batch", str(log), *_outputs(tmp_path, "resumed"), "--dask", dask_cluster.scheduler_address,
            "--partition-mb", "0.01", "--no-progress"]
    rng = random.Random(5)
    kills = 0
    for _ in range(3):
        proc = _run(args)
        deadline = time.monotonic() + 120
        want = rng.randint(3, 40)
        while len(list(state.glob("done-*"))) < want and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        assert not (tmp_path / "resumed.csv").exists()
    assert kills >= 1
    proc = _run(args, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err.decode()[-2000:]
    _same_outputs(tmp_path, "local", "resumed")
    assert not state.exists()


def _edited_lexicons(tmp_path: Path) -> Path:
    """The default lexicons and a new rule that the sample agents break: asking the caller to wait."""
    from app.lexicon.compiler import default_lexicon_dir

    new = tmp_path / "new"
    shutil.copytree(default_lexicon_dir(), new)
    (new / "extra.yaml").write_text(
        "rules:\n  - id: no_wait\n    name: no asking to wait\n    kind: forbidden\n    phrases: [请您稍等]\n"
        "    deduction: {once: 5}\n    message: do not ask the caller to wait\n"
        "    examples:\n      hit: [好的，请您稍等]\n      miss: [好的]\n", encoding="utf-8")
    return new


def test_backtest_reports_the_flips_of_an_edit(tmp_path, capsys):
    new = _edited_lexicons(tmp_path)
    flips = tmp_path / "flips.csv"
    assert main(["backtest", str(LOGS / "utterances.csv"), "--new", str(new), "-o", str(flips)]) == 0
    printed = capsys.readouterr().out
    assert "backtest of 7 calls" in printed and "no_wait" in printed
    table = pd.read_csv(flips)
    assert set(table["rule_id"]) == {"no_wait"} and set(table["flip"]) == {"pass -> fail"}
    assert table["why"].str.contains("请您稍等").all()


def test_backtest_of_stored_calls_by_day_and_agent(tmp_path, engine, capsys):
    new = _edited_lexicons(tmp_path)
    from_files = tmp_path / "from_files.csv"
    assert main(["backtest", str(LOGS / "utterances.csv"), "--new", str(new), "-o", str(from_files)]) == 0
    expected = pd.read_csv(from_files).set_index("call_id")
    log = pd.read_csv(LOGS / "utterances.csv").groupby("call_id").first()
    with _database(engine.url.render_as_string(hide_password=False)):
        assert main(["batch", str(LOGS / "utterances.csv"), "-o", str(tmp_path / "o.csv"), "--store",
                     "--workers", "1"]) == 0
        capsys.readouterr()
        cases = [([], list(log.index)),
                 (["--since", "2026-11-03"], [c for c in log.index if log.started_at[c] >= "2026-11-03"]),
                 (["--until", "2026-11-03"], [c for c in log.index if log.started_at[c] < "2026-11-03"]),
                 (["--agent-id", "a-07"], [c for c in log.index if log.agent_id[c] == "a-07"]),
                 (["--team", "no-such-team"], [])]
        for options, chosen in cases:
            out = tmp_path / "stored.csv"
            assert main(["backtest", "--new", str(new), "-o", str(out), *options]) == 0, options
            assert f"backtest of {len(chosen)} calls" in capsys.readouterr().out, options
            got = pd.read_csv(out).set_index("call_id") if out.stat().st_size > 1 and chosen else pd.DataFrame()
            # the same flips, for the same calls, as backtesting the log file itself
            assert sorted(got.index) == sorted(c for c in expected.index if c in chosen), options
            if len(got):
                pd.testing.assert_frame_equal(got.sort_index(), expected.loc[sorted(got.index)].sort_index())
        # stored calls are chosen by range, files by name: not both
        assert main(["backtest", str(LOGS / "utterances.csv"), "--new", str(new), "--since", "2026-11-03"]) == 2
        assert "give either INPUT files or those" in capsys.readouterr().err


def test_backtest_of_a_database_that_is_not_there(tmp_path, capsys):
    missing = tmp_path / "none.db"
    with _database(f"sqlite:///{missing}"):
        assert main(["backtest", "--new", str(_edited_lexicons(tmp_path))]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()


def test_a_missing_call_id_in_a_nullable_column_is_empty_not_a_word(tmp_path):
    """A Parquet file written from pandas' nullable string columns holds <NA> for a missing
    call id: that row is refused as having none, never scored as a call named "<NA>"."""
    rows = pd.read_csv(LOGS / "utterances.csv", dtype=str, keep_default_na=False).iloc[:12]
    rows = rows.astype("string")
    rows.loc[5:6, "call_id"] = pd.NA
    log = tmp_path / "log.parquet"
    rows.to_parquet(log)
    out, errors = tmp_path / "out.csv", tmp_path / "errors.csv"
    assert main(["batch", str(log), "-o", str(out), "--errors", str(errors), "--workers", "1"]) == 1
    assert "<NA>" not in out.read_text(encoding="utf-8")
    assert "call_id is empty" in errors.read_text(encoding="utf-8")


def test_backtest_on_two_workers_reports_what_one_reports(tmp_path, capsys):
    new = _edited_lexicons(tmp_path)
    (new / "ticket.yaml").write_text(  # a rule the generated agents break now and then
        "rules:\n  - id: no_ticket_number\n    name: no ticket numbers\n    kind: forbidden\n    phrases: [工单号]\n"
        "    deduction: {once: 5}\n    message: do not read out ticket numbers\n"
        "    examples:\n      hit: [工单号是三五]\n      miss: [好的]\n", encoding="utf-8")
    log = tmp_path / "log.csv"
    _awkward_log(log)
    reports = {}
    for workers in ("1", "2"):
        flips = tmp_path / f"flips{workers}.csv"
        assert main(["backtest", str(log), "--new", str(new), "-o", str(flips), "--workers", workers]) == 1
        reports[workers] = (capsys.readouterr().out, flips.read_bytes())
    assert reports["1"] == reports["2"]
    printed, flips = reports["2"]
    assert "backtest of 120 calls (6 refused)" in printed
    assert flips.count(b"no_ticket_number") > 10
