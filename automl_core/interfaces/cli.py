"""The ``automl`` command line.

Exit codes: 0 success, 2 a bad config or bad data (the message names the field or column),
1 anything else, 130 interrupted. Also run as ``python -m automl_core``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

__all__ = ["main"]


def _print_table(res, n: int = 5) -> None:
    import pandas as pd

    top = res.top(n)
    if top.empty:
        print("no trial succeeded; see the error column of table.csv")
        return
    cols = ["trial_id", "status", "score", "score_std", "fit_time_s"] + [
        c for c in top.columns if c.startswith("param.")
    ]
    view = top[cols].dropna(axis=1, how="all").rename(columns=lambda c: c.removeprefix("param."))
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        print(view.to_string(index=False))


def _cmd_run(args) -> int:
    from ..config import load_config
    from .api import run

    cfg = load_config(args.config)
    results_dir = args.results or cfg.results_dir
    if not results_dir:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        results_dir = str(Path("results") / f"{Path(args.config).stem}-{stamp}")
    res = run(
        args.data,
        config=cfg,
        trials=args.trials,
        time_budget_s=args.time,
        seed=args.seed,
        results_dir=results_dir,
        address=args.address,
        show_progress=not args.quiet,
    )
    print(
        f"\n{len(res.table)} trials, {int((res.table['status'] == 'ok').sum())} ok; "
        f"best {res.metric} by trial:"
    )
    _print_table(res)
    if "test_score" in res.info:
        print(f"test {res.metric} of the refit best pipeline: {res.info['test_score']:.4f}")
    _write_report(res, results_dir)
    print(f"results: {results_dir}")
    return 0


def _cmd_resume(args) -> int:
    from ..experiment.resume import resume
    from ..trials.journal import has_journal

    if not has_journal(args.results_dir):
        print(
            f"automl: {args.results_dir} has no journal.jsonl: not the results folder of a run "
            "that can be resumed",
            file=sys.stderr,
        )
        return 2
    res = resume(args.results_dir, address=args.address, show_progress=not args.quiet)
    n_ok = int((res.table["status"] == "ok").sum())
    print(f"\n{len(res.table)} trials, {n_ok} ok; best {res.metric} by trial:")
    _print_table(res)
    if "test_score" in res.info:
        print(f"test {res.metric} of the refit best pipeline: {res.info['test_score']:.4f}")
    if res.config is not None:  # an ac.tune run has no pipeline to report on
        _write_report(res, args.results_dir)
    print(f"results: {args.results_dir}")
    return 0


def _write_report(res, results_dir) -> None:
    """PNG charts + report.html into the results folder; a report error never fails the run."""
    try:
        from ..report import write_report

        rep = write_report(res, results_dir)
    except Exception as exc:  # the run's results are already on disk
        print(f"automl: report not written: {exc}", file=sys.stderr)
        return
    for name, why in {**rep.skipped, **rep.failed}.items():
        print(f"  chart {name} not drawn: {why}")
    print(f"report: {rep.html} ({len(rep.images)} charts)")


def _cmd_report(args) -> int:
    from ..report import load_results

    if not Path(args.results_dir, "info.json").exists():
        print(f"automl: {args.results_dir} is not a results folder (no info.json)", file=sys.stderr)
        return 2
    _write_report(load_results(args.results_dir), args.results_dir)
    if args.mlflow is not None:
        return _log_to_mlflow(args.results_dir, args.mlflow)
    return 0


def _log_to_mlflow(results_dir: str, uri: str) -> int:
    """``automl report DIR --mlflow [URI]``: the folder's run, trials and model in MLflow."""
    from ..experiment.loggers import log_results_folder

    spec = {"kind": "mlflow", **({"tracking_uri": uri} if uri else {})}
    failures = log_results_folder(results_dir, [spec])
    for text in failures:
        print(f"automl: {text}", file=sys.stderr)
    if not failures:
        state = json.loads(Path(results_dir, "mlflow.json").read_text())
        print(f"mlflow: run {state['run_id']} in {state['tracking_uri']}")
    return 1 if failures else 0


def _cmd_validate(args) -> int:
    from ..config import load_config

    cfg = load_config(args.config)
    print(f"{args.config}: valid ({cfg.strategy.kind} search, target {cfg.target!r})")
    return 0


def _cmd_schema(args) -> int:
    from ..config import config_class

    print(json.dumps(config_class().model_json_schema(), indent=2))
    return 0


_PLURALS = {
    "cleaner": "cleaners",
    "model": "models",
    "regularizer": "regularizers",
    "strategy": "strategies",
    "logger": "loggers",
}


def _cmd_plugins(args) -> int:
    from ..plugins import get_registry

    reg = get_registry()
    for p in reg.plugins:
        print(f"{p.dist} {p.version} (plugin {p.name!r})")
        for category, plural in _PLURALS.items():
            kinds = p.kinds.get(category)
            if kinds:
                print(f"  {plural:<13} {', '.join(kinds)}")
    return 0


def _cmd_demo(args) -> int:
    from ..data.datasets import make_churn
    from .api import run

    df = make_churn(n_rows=args.rows, seed=0)
    print(
        f"demo: a generated churn table, {len(df)} rows x {df.shape[1]} columns "
        f"(ids, timestamps, categories, gaps, outliers, duplicates, ~15% churn)"
    )
    res = run(
        df,
        target="churn_label",
        metric="balanced_accuracy",
        strategy=args.strategy,
        trials=args.trials,
        seed=0,
        test_size=0.25,
        cleaning_gain=True,
        results_dir=args.results,
    )
    print()
    from ..data.autoclean import describe_chain

    print(describe_chain(res.config.cleaners))
    for k in ("duplicates_dropped", "rows_without_target_dropped", "test_score"):
        if k in res.info:
            print(f"{k}: {res.info[k]}")
    gain = res.info.get("cleaning_gain") or {}
    if gain.get("gain") is not None:
        print(
            f"cleaning gain on the same folds: {gain['baseline_score']:.4f} (minimal "
            f"preprocessing) -> {gain['cleaned_score']:.4f} (cleaned), {gain['gain']:+.4f}"
        )
    print(f"\nthe {min(5, len(res.table))} best of {len(res.table)} trials:")
    _print_table(res)
    _write_report(res, args.results)
    print(f"results folder: {args.results} (open report.html there)")
    return 0


def version_text() -> str:
    """``automl-core <version>``, then each installed plugin distribution and its version.

    Read from the installed metadata without importing the plugins, so a plugin that fails to
    import cannot hide the versions (``automl plugins`` imports them and lists their kinds).
    """
    from .. import __version__
    from ..plugins import DISABLE_ENV, _disabled_names, _entry_points

    lines = [f"automl-core {__version__}"]
    skip = _disabled_names(None)
    for ep, dist, version in _entry_points():
        if dist.lower().replace("_", "-") == "automl-core":
            continue  # the builtins: this distribution
        off = f" (disabled by {DISABLE_ENV})" if ep.name in skip or dist in skip else ""
        lines.append(f"  plugin {dist} {version} (entry point {ep.name!r}){off}")
    return "\n".join(lines)


class _Version(argparse.Action):
    """``--version``: print :func:`version_text` and exit 0."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="automl", description=__doc__.splitlines()[0])
    p.add_argument(
        "--version", action=_Version, help="print the versions of automl-core and its plugins"
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run an experiment file (TOML or JSON)")
    r.add_argument("config", help="experiment .toml or .json")
    r.add_argument("--data", help="CSV or Parquet table (default: the config's data)")
    r.add_argument("--trials", type=int, help="override budget.trials")
    r.add_argument("--time", type=float, help="override budget.time_s (seconds)")
    r.add_argument("--seed", type=int)
    r.add_argument("--results", help="results folder (default: results/<name>-<time>)")
    r.add_argument("--address", help="Ray cluster address (default: $RAY_ADDRESS or local)")
    r.add_argument("--quiet", action="store_true", help="no progress display")
    r.set_defaults(func=_cmd_run)

    rs = sub.add_parser(
        "resume", help="finish an interrupted run from its results folder (kept trials stay)"
    )
    rs.add_argument("results_dir", help="the results folder of the run (it holds journal.jsonl)")
    rs.add_argument("--address", help="Ray cluster address (default: the run's, or local)")
    rs.add_argument("--quiet", action="store_true", help="no progress display")
    rs.set_defaults(func=_cmd_resume)

    rp = sub.add_parser("report", help="write the charts and report.html of a results folder")
    rp.add_argument("results_dir", help="a folder written by `automl run` (or Results.save)")
    rp.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        metavar="URI",
        help="also log the run, its trials and best model to MLflow (needs automl-core-mlflow): "
        "a tracking server or store URI (default: $MLFLOW_TRACKING_URI, else mlflow.db in "
        "the results folder)",
    )
    rp.set_defaults(func=_cmd_report)

    v = sub.add_parser("validate", help="check an experiment file without running it")
    v.add_argument("config")
    v.set_defaults(func=_cmd_validate)

    s = sub.add_parser("schema", help="print the JSON Schema of experiment files")
    s.set_defaults(func=_cmd_schema)

    pl = sub.add_parser("plugins", help="list plugin distributions and the kinds they add")
    pl.set_defaults(func=_cmd_plugins)

    d = sub.add_parser("demo", help="run the churn demo end to end")
    d.add_argument("--rows", type=int, default=3000)
    d.add_argument("--trials", type=int, default=16)
    d.add_argument("--strategy", default="random")
    d.add_argument("--results", default="results/demo")
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    from ..config import ConfigError
    from ..data.check import DataError
    from ..plugins import PluginError
    from ..trials.journal import JournalError
    from ..trials.lock import FolderInUse

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DataError) as exc:
        print(f"automl: {exc}", file=sys.stderr)
        return 2
    except PluginError as exc:
        print(f"automl: plugin error: {exc}", file=sys.stderr)
        return 2
    except (FolderInUse, JournalError) as exc:  # a live run's folder; a damaged journal
        print(f"automl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        from ..trials.journal import ExperimentInterrupted

        # an ExperimentInterrupted says what finished was kept and how to resume it
        text = exc.message() if isinstance(exc, ExperimentInterrupted) else "interrupted"
        print(f"\nautoml: {text}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
