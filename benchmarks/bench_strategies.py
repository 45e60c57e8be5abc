"""Search strategies side by side: our gp/tpe/random against Optuna, hyperopt and skopt.

One command::

    python benchmarks/bench_strategies.py --seeds 10 --evals 50 --workers 2

runs every method on every test function (Branin 2-d, Hartmann6 6-d, Levy 4-d, a mixed
float/int/choice 4-d function) for each seed, plus a real task (an RBF SVC on digits, 3-fold
CV accuracy, C and gamma on log ranges), and prints one markdown table: median [quartiles] of
the final regret (the real task: best CV error) and the optimiser's time per suggestion.

Time per suggestion is the wall time between the end of one evaluation and the start of the
next (what a worker waits), averaged over the last 10 evaluations, so ask/tell libraries and
loop-driven ones (``fmin``, ``gp_minimize``) are measured alike, at 40-50 observations.
Every job runs in its own process with math libraries on one thread: fair to each library and
steady on a 2-core machine shared with others. Optuna's GPSampler needs torch (CPU build); a
method whose library is missing is reported as skipped. ``--out`` keeps per-job results (JSON)
so an interrupted run resumes where it stopped.

``--pending-timing`` measures only gp's CPU time per ask with 32 trials pending at 200
observations (issue 18, many workers; see :func:`pending_timing`). The broad suite (24 BBOB
functions, mixed spaces, 20 seeds) is ``benchmarks/bench_suite.py``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from functions import PROBLEMS, SVC_DIGITS  # noqa: E402
from peers import METHODS, available, run_problem  # noqa: E402

ALL_PROBLEMS = {**PROBLEMS, SVC_DIGITS.name: SVC_DIGITS}
DEFAULT_FUNCTIONS = ["branin", "hartmann6", "levy4", "mixed4"]
DEFAULT_METHODS = list(METHODS)
SVC_METHODS = ["gp", "tpe", "random", "optuna-gp", "optuna-tpe"]


def run_job(problem: str, method: str, seed: int, n: int) -> dict:
    """One optimiser on one problem for one seed (see :func:`peers.run_problem`)."""
    return run_problem(ALL_PROBLEMS[problem], method, seed, n)


def _job_path(out: Path, problem: str, method: str, seed: int, n: int) -> Path:
    return out / f"{problem}__{method}__{seed}__{n}.json"


def _run_and_save(args: tuple) -> dict:
    problem, method, seed, n, out = args
    res = run_job(problem, method, seed, n)
    if out is not None:
        _job_path(out, problem, method, seed, n).write_text(json.dumps(res))
    return res


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def summarise(results: list[dict], problems: list[str], methods: list[str]) -> str:
    """The markdown table: one row per (problem, method)."""
    lines = [
        "| problem | method | seeds | final regret, median [q1, q3] | s/suggestion at 40-50 obs:"
        " wall (CPU) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for problem in problems:
        for method in methods:
            rs = [r for r in results if r["problem"] == problem and r["method"] == method]
            if not rs:
                continue
            reg = np.array([r["regret"] for r in rs])
            q1, med, q3 = np.percentile(reg, [25, 50, 75])
            wall = np.median([np.mean(r["gaps"][-10:]) for r in rs])
            cpu = np.median([np.mean(r["cpu_gaps"][-10:]) for r in rs])
            lines.append(
                f"| {problem} | {method} | {len(rs)} | {_fmt(med)} [{_fmt(q1)}, {_fmt(q3)}] "
                f"| {wall:.3f} ({cpu:.3f}) |"
            )
    return "\n".join(lines)


def tpe_timing(n_obs: int = 100, n_asks: int = 20) -> str:
    """Our tpe's ask+tell time at ``n_obs`` observations (Hartmann6 space), median of asks."""
    from peers import _our_space, strategy_spec

    from automl_core.search.strategies.base import Outcome

    pb = PROBLEMS["hartmann6"]
    strat = strategy_spec("tpe")().build(_our_space(pb), "min", 0)
    wall, cpu = [], []
    for i in range(n_obs + n_asks):
        t0, c0 = time.perf_counter(), time.process_time()
        p = strat.ask(str(i))
        t1, c1 = time.perf_counter(), time.process_time()
        v = pb.f(np.array([p[f"x{j}"] for j in range(pb.dim)]))
        t2, c2 = time.perf_counter(), time.process_time()
        strat.tell(str(i), Outcome(v))
        t3, c3 = time.perf_counter(), time.process_time()
        if i >= n_obs:
            wall.append((t1 - t0) + (t3 - t2))
            cpu.append((c1 - c0) + (c3 - c2))
    return (
        f"tpe at {n_obs} observations (hartmann6 space), ask + tell: "
        f"{1000 * np.median(wall):.1f} ms wall, {1000 * np.median(cpu):.1f} ms CPU (median of "
        f"{n_asks})"
    )


def pending_timing(n_obs: int = 200, n_pending: int = 32, n_asks: int = 40) -> str:
    """gp's CPU time per ask with ``n_pending`` trials pending at ``n_obs`` observations.

    Hartmann6 space. ``n_obs`` results at space-filling points are told first, then ``n_pending``
    asks without results (a cluster's workers starting at once; the first fits the GP), then
    ``n_asks`` rounds of the steady state: the oldest pending trial's result comes back and a
    new ask goes out, so ``n_pending`` stay pending and the observations grow past ``n_obs``.
    ``time.process_time`` (CPU) of each ask. Every ask after a new result refits the
    hyperparameters, past 64 rows with a few optimiser steps only (``_gp_kernel.LOOSE_MAXITER``),
    so there is no slow tail of full refits.
    """
    from peers import _our_space

    from automl_core.search.strategies.base import Outcome
    from automl_core.search.strategies.gp import GPStrategy

    pb = PROBLEMS["hartmann6"]
    # the first n_obs trials are gp's Sobol design (cheap to build up); the GP then fits them
    strat = GPStrategy(_our_space(pb), "min", 0, n_initial=n_obs)

    def f(p: dict) -> float:
        return pb.f(np.array([p[f"x{j}"] for j in range(pb.dim)]))

    for i in range(n_obs):
        p = strat.ask(f"r{i}")
        strat.tell(f"r{i}", Outcome(f(p)))
    pending, batch = [], []
    for i in range(n_pending):
        c0 = time.process_time()
        pending.append((f"b{i}", strat.ask(f"b{i}")))
        batch.append(time.process_time() - c0)
    steady = []
    for i in range(n_asks):
        tid, p = pending.pop(0)
        strat.tell(tid, Outcome(f(p)))
        c0 = time.process_time()
        pending.append((f"s{i}", strat.ask(f"s{i}")))
        steady.append(time.process_time() - c0)
    ms = 1000 * np.array(steady)
    return (
        f"gp ask with {n_pending} pending at {n_obs}-{n_obs + n_asks} observations (hartmann6 "
        f"space), CPU: steady state median {np.median(ms):.1f} ms, mean {ms.mean():.1f} ms, "
        f"90th percentile {np.percentile(ms, 90):.1f} ms, max {ms.max():.1f} ms ({n_asks} asks); "
        f"a batch of {n_pending} asks with no result between: first {1000 * batch[0]:.1f} ms "
        f"(fits the GP), then median {1000 * np.median(batch[1:]):.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument(
        "--seed-offset", type=int, default=0, help="first seed (tune on seeds unlike reported)"
    )
    ap.add_argument("--evals", type=int, default=50)
    ap.add_argument("--functions", default=",".join(DEFAULT_FUNCTIONS))
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    ap.add_argument(
        "--skopt-seeds", type=int, default=10, help="seeds for skopt-gp (about 1 s a suggestion)"
    )
    ap.add_argument("--svc-seeds", type=int, default=5, help="seeds of the SVC task (0: skip)")
    ap.add_argument("--svc-evals", type=int, default=30)
    ap.add_argument("--workers", type=int, default=1, help="jobs run in parallel")
    ap.add_argument("--out", type=Path, default=None, help="folder of per-job JSON results")
    ap.add_argument(
        "--pending-timing", action="store_true", help="only gp's ask time with 32 pending"
    )
    ap.add_argument(
        "--observations",
        default="200",
        help="with --pending-timing: results told before the pending asks, comma-separated "
        "(200: issue 18's figure; more shows how an ask grows in a long run)",
    )
    args = ap.parse_args(argv)
    if args.pending_timing:
        print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
        for n_obs in (int(n) for n in args.observations.split(",") if n):
            print(pending_timing(n_obs))
        return

    methods = [m for m in args.methods.split(",") if m]
    skipped = {m: why for m in methods if (why := available(m))}
    methods = [m for m in methods if m not in skipped]
    functions = [f for f in args.functions.split(",") if f]
    jobs = [
        (f, m, s, args.evals)
        for f in functions
        for m in methods
        for s in range(
            args.seed_offset,
            args.seed_offset + (args.skopt_seeds if m == "skopt-gp" else args.seeds),
        )
    ]
    svc_methods = [m for m in SVC_METHODS if m in methods]
    jobs += [
        (SVC_DIGITS.name, m, s, args.svc_evals) for m in svc_methods for s in range(args.svc_seeds)
    ]
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    results, todo = [], []
    for f, m, s, n in jobs:
        path = None if args.out is None else _job_path(args.out, f, m, s, n)
        if path is not None and path.exists():
            results.append(json.loads(path.read_text()))
        else:
            todo.append((f, m, s, n, args.out))
    # Methods interleaved (problem, seed, then method), so the machine's load, which others
    # share, hits every method alike; the slow SVC task and skopt come last.
    cost = {"skopt-gp": 2, SVC_DIGITS.name: 1}
    todo.sort(key=lambda j: (max(cost.get(j[0], 0), cost.get(j[1], 0)), j[0], j[2]))
    t0 = time.time()
    print(f"{len(todo)} jobs to run ({len(results)} done before)", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for i, res in enumerate(pool.map(_run_and_save, todo)):
            results.append(res)
            print(
                f"[{i + 1}/{len(todo)} {time.time() - t0:.0f}s] {res['problem']} {res['method']} "
                f"seed {res['seed']}: regret {res['regret']:.3g}",
                file=sys.stderr,
            )
    problems = functions + ([SVC_DIGITS.name] if args.svc_seeds and svc_methods else [])
    print(f"## {datetime.date.today()}, {args.seeds} seeds x {args.evals} evaluations")
    print(summarise(results, problems, methods))
    if "tpe" in methods:
        print("\n" + tpe_timing())
    for m, why in skipped.items():
        print(f"\nskipped {m}: missing {why}")


if __name__ == "__main__":
    main()
