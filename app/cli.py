"""The `callqa` command."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from app.errors import CallqaError, LexiconError
from app.ingest.formats import FORMATS

log = logging.getLogger("callqa")

EXIT_OK = 0
EXIT_REFUSED = 1  # some inputs were refused; the rest were scored
EXIT_USAGE = 2  # bad arguments, unreadable lexicon, nothing could be done


def _parse_var(text: str) -> tuple[str, list[str]]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE[,ALIAS...], got {text!r}")
    return name.strip(), [v.strip() for v in value.split(",") if v.strip()]


def _pass_mark(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a score from 0 to 100, got {text!r}") from None
    if not 0 <= value <= 100:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a score from 0 to 100, got {text!r}")
    return value


def _positive_mb(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of megabytes above 0, got {text!r}")
    return value


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def _scoring_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lexicons", metavar="DIR", help="lexicon folder (default: CALLQA_LEXICON_DIR or the bundled lexicons)")
    p.add_argument("--var", action="append", type=_parse_var, default=[], metavar="NAME=VALUE[,ALIAS]",
                   help="default value of a lexicon variable for calls that do not give one")
    p.add_argument("--direction", choices=["inbound", "outbound"], help="direction of calls that do not say")
    p.add_argument("--pass-mark", type=_pass_mark, metavar="SCORE", help="calls under this score fail (default: 80)")
    p.add_argument("--format", choices=FORMATS, metavar="FORMAT", help="the format of call files (default: detected)")
    p.add_argument("--agent", metavar="LABEL", help="the agent's speaker label, for inputs without roles")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callqa",
        description="Check Chinese call-center transcripts against service norms and score every call.",
        epilog="Settings can also come from CALLQA_* environment variables (see README.md).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser(
        "score",
        help="score calls from native JSON / JSONL files",
        description="Score every call in the given files and write one result per line (JSONL). "
        "A record that cannot be scored is reported on stderr with its file and line; "
        "the others are still scored, and the exit code is 1.",
    )
    score.add_argument("files", nargs="+", metavar="FILE",
                       help="a .json file (one call or an array), a .jsonl file (one call per line), or - for stdin; "
                       "or a file in another format (a recognizer's JSON, .srt, .vtt, a text export): see --format")
    score.add_argument("--format", choices=FORMATS, metavar="FORMAT",
                       help=f"the input's format, instead of detecting it per file or line: {', '.join(FORMATS)}")
    score.add_argument("--agent", metavar="LABEL", help="the agent's speaker label in the input (a channel number, a "
                       "diarization label such as spk_0), for formats without roles; without it the agent is inferred")
    score.add_argument("-o", "--output", metavar="OUT", help="write results here (written whole or not at all); default: stdout")
    score.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                       help=f"processes scoring a JSON Lines input of {PARALLEL_MIN_BYTES // 2**20} MB or more, or "
                       f"standard input (default: all {os.cpu_count() or 1} cores); the output is the same with any N")
    score.add_argument("--errors", metavar="FILE", help="also write refused records as JSONL {source, line, error}")
    score.add_argument("--lexicons", metavar="DIR", help="lexicon folder (default: CALLQA_LEXICON_DIR or the bundled lexicons/)")
    score.add_argument("--var", action="append", type=_parse_var, default=[], metavar="NAME=VALUE[,ALIAS]",
                       help="default value of a lexicon variable for calls that do not give one, e.g. --var company=瑞丰电器,瑞丰")
    score.add_argument("--direction", choices=["inbound", "outbound"], help="direction of calls that do not say (default: inbound)")
    score.add_argument("--pass-mark", type=_pass_mark, metavar="SCORE", help="calls under this score fail (default: 80)")
    score.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")

    batch = sub.add_parser(
        "batch", help="score call logs (CSV, JSONL, Parquet, Excel, folders of call files) into a table",
        description="Score every call of the inputs and write one row per call (score, passed, per rule: status, "
        "deduction, hits) to OUTPUT (.csv, .parquet, .xlsx or .jsonl; an .xlsx has summary, calls and hits sheets), "
        "then print a summary. A table has one row per utterance (call_id, speaker, text, start_ms, end_ms, and "
        "agent_id, team_id, started_at, direction, var.NAME) or one row per call (utterances as a JSON array); a "
        "folder holds call files in any format `score` reads. Killed and started again with the same arguments, "
        "it goes on where it stopped. Rows that cannot be scored are counted, listed with --errors, and make the "
        "exit code 1.")
    batch.add_argument("inputs", nargs="+", metavar="INPUT", help="a .csv / .tsv / .jsonl / .parquet / .xlsx table, "
                       "or a folder of call files")
    batch.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="the calls table: .csv, .parquet, .xlsx or .jsonl")
    batch.add_argument("--hits", metavar="FILE", help="also write one row per hit (call, rule, phrase, matched text, "
                       "utterance, time)")
    batch.add_argument("--errors", metavar="FILE", help="also write the refused rows (file, row, reason)")
    batch.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                       help=f"processes scoring calls (default: all {os.cpu_count() or 1} cores)")
    batch.add_argument("--columns", metavar="OURS=THEIRS,...", help="the table's names for our columns, e.g. "
                       "--columns speaker=role,text=content,call_id=session")
    batch.add_argument("--store", action="store_true", help="also store the calls and results in the service's "
                       "database (CALLQA_DATABASE_URL), replacing calls of the same call_id")
    batch.add_argument("--dask", metavar="ADDRESS", help="score on a Dask cluster (its scheduler, tcp://host:8786)")
    batch.add_argument("--dask-scheduler-file", metavar="FILE", help="score on the Dask cluster this scheduler file names")
    batch.add_argument("--partition-mb", type=_positive_mb, default=16.0, metavar="MB",
                       help="on a cluster: megabytes of a CSV input per dask.dataframe partition (default 16; a "
                       "Parquet input is cut by row groups)")
    _scoring_options(batch)

    backtest = sub.add_parser(
        "backtest", help="which verdicts a lexicon change flips, on past calls",
        description="Score the same calls under the lexicon in use and under NEW_DIR, and report per rule the verdicts "
        "that flip (pass -> fail, fail -> pass), the change in violation rate, and example calls with the hit that "
        "appeared or vanished. Inputs as for `batch`; with no INPUT, the calls stored in the service's database "
        "(CALLQA_DATABASE_URL), chosen with --since / --until / --team / --agent-id.")
    backtest.add_argument("inputs", nargs="*", metavar="INPUT")
    backtest.add_argument("--since", type=_day, metavar="DAY", help="stored calls started on this day or later "
                          "(the center's days, CALLQA_TIMEZONE)")
    backtest.add_argument("--until", type=_day, metavar="DAY", help="stored calls started before this day (the day "
                          "after the last day counted: --since 2026-10-05 --until 2026-10-12 is one week)")
    backtest.add_argument("--team", metavar="TEAM_ID", help="stored calls of this team")
    backtest.add_argument("--agent-id", metavar="AGENT_ID", help="stored calls of this agent")
    backtest.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                          help=f"processes scoring the calls (default: all {os.cpu_count() or 1} cores); the report is "
                          "the same with any N")
    backtest.add_argument("--new", required=True, metavar="NEW_DIR", dest="new_lexicons", help="the edited lexicon folder")
    backtest.add_argument("--examples", type=int, default=3, metavar="K", help="example calls per rule and direction (default 3)")
    backtest.add_argument("--columns", metavar="OURS=THEIRS,...")
    backtest.add_argument("-o", "--output", metavar="FILE", help="also write every flipped verdict (.csv, .parquet, .xlsx, .jsonl)")
    _scoring_options(backtest)

    lexicon = sub.add_parser("lexicon", help="work with lexicon files")
    lsub = lexicon.add_subparsers(dest="lexicon_command", required=True, metavar="ACTION")
    check = lsub.add_parser("check", help="validate a lexicon folder and run every rule's examples",
                            description="Validate every lexicon file (all problems are listed at once) and run the "
                            "hit / miss examples of every rule. Exit code 1 when anything is wrong.")
    check.add_argument("dir", nargs="?", help="lexicon folder (default: CALLQA_LEXICON_DIR or the bundled lexicons/)")

    serve = sub.add_parser(
        "serve", help="run the HTTP service",
        description="Run the FastAPI service under uvicorn. With no settings it keeps calls in an SQLite file "
        "(callqa.db) and uses the bundled lexicons; CALLQA_DATABASE_URL=postgresql://... for production. "
        "Schema migrations are applied before the workers start. OpenAPI docs at /docs.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1); any other "
                       "address needs API keys in CALLQA_API_KEYS")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1), each listening on "
                       "the port with its own socket; several can share one PostgreSQL")

    key = sub.add_parser("key", help="manage API keys")
    ksub = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    knew = ksub.add_parser("new", help="make a new API key and print the settings entry that holds its hash")
    knew.add_argument("--role", choices=["ingest", "read", "admin"], required=True)
    knew.add_argument("--name", required=True, help="who uses the key, e.g. the call system's name")

    sub.add_parser("version", help="print the version of callqa and of the default lexicon")
    return parser


def _settings(args: argparse.Namespace):
    from app.settings import load_settings

    overrides: dict = {}
    if getattr(args, "lexicons", None):
        overrides["lexicon_dir"] = Path(args.lexicons)
    if getattr(args, "dir", None):
        overrides["lexicon_dir"] = Path(args.dir)
    if getattr(args, "direction", None):
        overrides["default_direction"] = args.direction
    if getattr(args, "pass_mark", None) is not None:
        overrides["pass_mark"] = args.pass_mark
    settings = load_settings(**overrides)
    if getattr(args, "var", None):
        merged = dict(settings.variables)
        merged.update({name: values for name, values in args.var})
        settings = settings.model_copy(update={"variables": merged})
    return settings


class _AtomicOutput:
    """Results go to a temporary file that replaces OUT only when all input was read.
    Results are written as the UTF-8 bytes pydantic serializes (no re-encoding)."""

    def __init__(self, path: str | None):
        self.path = path
        self.tmp = None
        if path:
            target = Path(path)
            fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            self.fh = os.fdopen(fd, "wb", buffering=1 << 16)
        else:
            sys.stdout.flush()
            self.fh = sys.stdout.buffer

    def commit(self) -> None:
        if self.tmp:
            try:
                self.fh.close()
                os.replace(self.tmp, self.path)
            except OSError as exc:
                self.abort()
                raise CallqaError(f"cannot write {self.path}: {exc.strerror}") from None
        else:
            self.fh.flush()

    def abort(self) -> None:
        if self.tmp:
            self.fh.close()
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)


def _writable(path: str | None, option: str) -> str | None:
    """Why `path` cannot be written as an output file, or None."""
    if not path:
        return None
    target = Path(path)
    if target.is_dir():
        return f"{option} {path}: is a folder; give a file name"
    folder = target.parent
    if not folder.is_dir():
        return f"{option} {path}: no such folder {str(folder)!r}; create it first"
    if not os.access(folder, os.W_OK):
        return f"{option} {path}: cannot write in {str(folder)!r}"
    return None


def _progress(args: argparse.Namespace, files: list[str]):
    total = 0
    for f in files:
        if f != "-" and os.path.isfile(f):
            total += os.path.getsize(f)
    enabled = not args.no_progress and sys.stderr.isatty() and total > 0
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="scoring", file=sys.stderr, dynamic_ncols=True)


PARALLEL_MIN_BYTES = 2**20  # a JSON Lines file this large is scored on all cores (forking them costs some 0.1 s)


def _outcomes(path: str, args: argparse.Namespace, lex, config, hints):
    """The outcomes (app.batch.lines.Outcome) of one input, in order: a JSON Lines file of
    PARALLEL_MIN_BYTES or more, or standard input, on `--workers` processes; anything else here."""
    from app.batch import lines
    from app.batch.pool import can_fork
    from app.ingest.native import LINE_SUFFIXES, read_calls

    parallel = args.workers > 1 and can_fork() and (
        path == "-" or (path.endswith(LINE_SUFFIXES) and os.path.getsize(path) >= PARALLEL_MIN_BYTES))
    if not parallel:
        records = read_calls("-", sys.stdin, args.format, hints) if path == "-" else \
            read_calls(path, fmt=args.format, hints=hints)
        return (lines.outcome(rec, lex, config) for rec in records)
    return lines.score_file(path, args.workers, lex, config, args.format, hints)


def cmd_score(args: argparse.Namespace) -> int:
    import json

    from app.lexicon.compiler import load_lexicon
    from app.score.scorer import check_config

    if args.workers < 1:
        print("callqa: --workers must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args)
    hints = replace(settings.hints(), agent=args.agent)
    lex = load_lexicon(settings.lexicon_dir)
    config = settings.scoring()
    check_config(lex, config)
    missing = [f for f in args.files if f != "-" and not os.path.isfile(f)]
    if missing:
        print(f"callqa: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    unwritable = [why for why in (_writable(args.output, "-o"), _writable(args.errors, "--errors")) if why]
    if unwritable:
        print(f"callqa: {'; '.join(unwritable)}", file=sys.stderr)
        return EXIT_USAGE

    out = _AtomicOutput(args.output)
    errors_fh = open(args.errors, "w", encoding="utf-8") if args.errors else None
    bar = _progress(args, args.files)
    scored = passed = refused = 0
    started = time.perf_counter()
    try:
        for path in args.files:
            for done in _outcomes(path, args, lex, config, hints):
                if bar is not None:
                    bar.update(done.size)
                if done.result is not None:
                    out.fh.write(done.result)
                    out.fh.write(b"\n")
                    scored += 1
                    passed += done.passed
                    continue
                refused += 1
                where = f"{done.source}:{done.line}" if done.line else done.source
                print(f"{where}: refused: {done.error}", file=sys.stderr)
                if errors_fh:
                    errors_fh.write(json.dumps({"source": done.source, "line": done.line, "error": done.error},
                                               ensure_ascii=False) + "\n")
    except BaseException:
        out.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
        if errors_fh:
            errors_fh.close()
    out.commit()
    elapsed = time.perf_counter() - started
    log.info("scored %d call(s): %d passed, %d failed; %d refused; lexicon %s; %.2f s",
             scored, passed, scored - passed, refused, lex.version, elapsed)
    return EXIT_REFUSED if refused else EXIT_OK


def _missing_inputs(paths: list[str]) -> bool:
    missing = [f for f in paths if not os.path.exists(f)]
    if missing:
        print(f"callqa: no such file or folder: {', '.join(missing)}", file=sys.stderr)
    return bool(missing)


def cmd_batch(args: argparse.Namespace) -> int:
    from app.batch.run import BatchJob, output_kind, run

    settings = _settings(args)
    if _missing_inputs(args.inputs):
        return EXIT_USAGE
    outputs = [(args.output, "-o"), (args.hits, "--hits"), (args.errors, "--errors")]
    for path, option in outputs:
        if path:
            output_kind(Path(path), option)
    unwritable = [why for why in (_writable(p, o) for p, o in outputs) if why]
    if unwritable:
        print(f"callqa: {'; '.join(unwritable)}", file=sys.stderr)
        return EXIT_USAGE
    if args.workers < 1:
        print("callqa: --workers must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    dask = args.dask or (f"file:{args.dask_scheduler_file}" if args.dask_scheduler_file else None)
    job = BatchJob(inputs=args.inputs, output=Path(args.output), lexicon_dir=settings.lexicon_dir,
                   config=settings.scoring(), hits_output=Path(args.hits) if args.hits else None,
                   errors_output=Path(args.errors) if args.errors else None, workers=args.workers,
                   columns=args.columns, fmt=args.format, hints=replace(settings.hints(), agent=args.agent),
                   store_url=settings.database_url if args.store else None, zone=settings.timezone,
                   progress=not args.no_progress and sys.stderr.isatty(), dask=dask,
                   partition_bytes=max(1, int(args.partition_mb * 2**20)))
    outcome = run(job)
    print(outcome.summary.text())
    log.info("%d call(s) scored, %d refused, in %.1f s (%.0f calls/s)%s; results in %s", outcome.summary.calls,
             outcome.summary.refused, outcome.seconds, outcome.summary.calls / outcome.seconds if outcome.seconds else 0,
             f"; {outcome.resumed_chunks} of {outcome.chunks} chunks done by an earlier run" if outcome.resumed_chunks else "",
             args.output)
    return EXIT_REFUSED if outcome.summary.refused else EXIT_OK


def cmd_backtest(args: argparse.Namespace) -> int:
    from app.batch.backtest import backtest

    if args.workers < 1:
        print("callqa: --workers must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args)
    ranged = [f"--{name.replace('_', '-')}" for name in ("since", "until", "team", "agent_id") if getattr(args, name)]
    if args.inputs and ranged:
        print(f"callqa: {', '.join(ranged)} choose stored calls; give either INPUT files or those", file=sys.stderr)
        return EXIT_USAGE
    if _missing_inputs(args.inputs):
        return EXIT_USAGE
    if args.output:
        why = _writable(args.output, "-o")
        if why:
            print(f"callqa: {why}", file=sys.stderr)
            return EXIT_USAGE
    stored = None
    if not args.inputs:
        from app.store.bulkload import stored_calls

        stored = stored_calls(settings.database_url, settings.timezone, since=args.since, until=args.until,
                              team_id=args.team, agent_id=args.agent_id, parse=False)
    from app.batch.run import progress

    bar = progress(args.inputs, not args.no_progress and sys.stderr.isatty(), "backtest")
    try:
        report = backtest(args.inputs, settings.lexicon_dir, Path(args.new_lexicons), settings.scoring(),
                          replace(settings.hints(), agent=args.agent), columns=args.columns, fmt=args.format,
                          examples=args.examples, output=Path(args.output) if args.output else None, stored=stored,
                          workers=args.workers, bar=bar)
    finally:
        bar.close()
    print(report.text())
    return EXIT_REFUSED if report.refused else EXIT_OK


def cmd_lexicon_check(args: argparse.Namespace) -> int:
    from app.lexicon.compiler import load_lexicon
    from app.score.examples import example_cases, failing_examples

    settings = _settings(args)
    lex = load_lexicon(settings.lexicon_dir)
    cases = example_cases(lex)
    failures = failing_examples(lex, settings.scoring())
    print(f"{settings.lexicon_dir}: {len(lex.rules)} rules, {len(lex.phrases)} phrases, version {lex.version}")
    for rule in lex.rules:
        n = sum(1 for c in cases if c.rule.id == rule.id)
        bad = sum(1 for c, _ in failures if c.rule.id == rule.id)
        print(f"  {rule.id:<18} {rule.kind:<9} {n - bad}/{n} examples ok  ({rule.file})")
    for case, result in failures:
        found = ", ".join(f"{h.phrase}={h.matched!r}" for h in result.hits) or "nothing"
        want = "should find it" if case.expect == "hit" else "should not find it"
        print(f"FAIL {case.rule.file} rule {case.rule.id!r} {case.expect} example {case.number}: "
              f"{case.label.split(':', 2)[2]!r} {want}; status {result.status}, found {found}"
              + (f" ({result.note})" if result.note else ""))
    if failures:
        print(f"{len(failures)} of {len(cases)} examples failed")
        return EXIT_REFUSED
    print(f"all {len(cases)} examples pass")
    return EXIT_OK


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args: argparse.Namespace) -> int:
    from app.api.serve import check_free, serve
    from app.errors import ConfigError
    from app.score.active import ActiveLexicon
    from app.store.db import make_engine, migrate

    settings = _settings(args)
    if args.host not in LOOPBACK and not settings.api_keys:
        raise ConfigError(
            f"refusing to listen on {args.host} with no API keys: anyone who can reach it could read every call. "
            "Make keys with 'callqa key new --role ...' and put them in CALLQA_API_KEYS, or listen on 127.0.0.1")
    check_free(args.host, args.port)
    engine = make_engine(settings.database_url)
    migrate(engine, settings.zone())  # once, before the workers start
    engine.dispose()
    made = []
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # every worker writes its counts here, so /metrics on any worker shows them all
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="callqa-metrics-")
        made.append(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if settings.run_dir is None:
        # the folder the workers share the lexicon in use through (app.score.active)
        os.environ["CALLQA_RUN_DIR"] = tempfile.mkdtemp(prefix="callqa-run-")
        made.append(os.environ["CALLQA_RUN_DIR"])
    run_dir = os.environ["CALLQA_RUN_DIR"]
    try:
        # Checked and recorded before any worker starts: a lexicon that cannot be used stops
        # the start here, with every problem listed.
        lex = ActiveLexicon.take_into_use(settings.lexicon_dir, settings.scoring(), run_dir).current
        log.info("serving on http://%s:%d with %d worker(s), lexicon %s; docs at /docs",
                 args.host, args.port, args.workers, lex.version)
        serve(args.host, args.port, args.workers)
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
    return EXIT_OK


def cmd_key_new(args: argparse.Namespace) -> int:
    import json

    from app.keys import digest, new_key

    key = new_key()
    print(f"key (give it to {args.name}; it is not stored anywhere): {key}")
    print("settings entry (add it to the JSON list in CALLQA_API_KEYS):")
    print(json.dumps({"name": args.name, "role": args.role, "sha256": digest(key)}, ensure_ascii=False))
    return EXIT_OK


def cmd_version(args: argparse.Namespace) -> int:
    from importlib.metadata import version

    from app.lexicon.compiler import load_lexicon

    settings = _settings(args)
    print(f"callqa {version('callqa')}, lexicon {load_lexicon(settings.lexicon_dir).version} ({settings.lexicon_dir})")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="callqa: %(message)s", stream=sys.stderr)
    handlers = {"score": cmd_score, "version": cmd_version, "serve": cmd_serve, "key": cmd_key_new, "batch": cmd_batch,
                "backtest": cmd_backtest}
    try:
        if args.command == "lexicon":
            return cmd_lexicon_check(args)
        return handlers[args.command](args)
    except LexiconError as exc:
        print(f"callqa: {exc}", file=sys.stderr)
        return EXIT_REFUSED if args.command == "lexicon" else EXIT_USAGE
    except CallqaError as exc:
        print(f"callqa: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
