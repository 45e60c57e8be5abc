"""The ``automl`` command line.

Exit codes: 0 success, 2 a bad config or bad data (the message names the field or column),
1 anything else, 130 interrupted.
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
    from .api import run
    from .config import load_config

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
    print(f"results: {results_dir}")
    return 0


def _cmd_validate(args) -> int:
    from .config import load_config

    cfg = load_config(args.config)
    print(f"{args.config}: valid ({cfg.strategy.kind} search, target {cfg.target!r})")
    return 0


def _cmd_schema(args) -> int:
    from .config import config_class

    print(json.dumps(config_class().model_json_schema(), indent=2))
    return 0


_PLURALS = {
    "cleaner": "cleaners",
    "model": "models",
    "regularizer": "regularizers",
    "strategy": "strategies",
}


def _cmd_plugins(args) -> int:
    from .plugins import get_registry

    reg = get_registry()
    for p in reg.plugins:
        print(f"{p.dist} {p.version} (plugin {p.name!r})")
        for category, plural in _PLURALS.items():
            kinds = p.kinds.get(category)
            if kinds:
                print(f"  {plural:<13} {', '.join(kinds)}")
    return 0


def _cmd_demo(args) -> int:
    from .api import run
    from .datasets import make_churn

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
        results_dir=args.results,
    )
    print()
    for k in ("duplicates_dropped", "rows_without_target_dropped", "test_score"):
        if k in res.info:
            print(f"{k}: {res.info[k]}")
    print(f"\nthe {min(5, len(res.table))} best of {len(res.table)} trials:")
    _print_table(res)
    print(f"results folder: {args.results}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="automl", description=__doc__.splitlines()[0])
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
    from .config import ConfigError
    from .datacheck import DataError
    from .plugins import PluginError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DataError) as exc:
        print(f"automl: {exc}", file=sys.stderr)
        return 2
    except PluginError as exc:
        print(f"automl: plugin error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nautoml: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
