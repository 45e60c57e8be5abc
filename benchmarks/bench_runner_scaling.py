"""Runner scaling and resume (issue 6).

    .venv/bin/python benchmarks/bench_runner_scaling.py [--trials 40] [--work 1.0]

1. ``local``: 40 trials of 1 s of real work each (a CPU-bound loop that runs until its thread
   has used 1 s of CPU time, so contention stretches it instead of hiding it) through
   ``ac.tune`` on the embedded Ray with 2 CPUs. Ideal: 40 x 1 s / 2 = 20 s; target <= 1.15x.
   Measured twice in one process: the first run after Ray's start, and a next run 8 s later
   (the embedded Ray's warm workers, prestarted after each run, have had time to load).
2. ``cluster``: the same on a simulated cluster of 2 nodes with 1 CPU each
   (``ray.cluster_utils.Cluster``; the head node has no CPUs and hosts the driver).
3. ``resume``: a driver running 40 such trials is killed with SIGKILL after 4 have finished;
   then ``automl resume DIR`` runs as a new process. Reported: seconds from its start to the
   first new trial's launch, and to that trial's end.

Each part runs in its own process (one process joins one Ray). Besides the wall time, each
part prints the trials' own summed wall time / CPUs: the ideal on *this* machine at *this* load
(other work on a shared machine slows the trials themselves, which is not runner overhead).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def work(params):
    """``seconds`` of CPU time in this thread; returns the trial's wall time as a metric."""
    t0 = time.perf_counter()
    c0 = time.thread_time()
    n = 0
    while time.thread_time() - c0 < params["seconds"]:
        for _ in range(1000):
            n += 1
    return {"score": float(params["i"]), "wall": time.perf_counter() - t0}


#: idle seconds between the two local runs (see part_local)
SETTLE_S = 8.0


def _tune(trials: int, seconds: float, **kw):
    import automl_core as ac

    return ac.tune(
        work,
        {"i": ac.Int(0, 10**6), "seconds": ac.Choice([seconds])},
        strategy="random",
        trials=trials,
        show_progress=False,
        **kw,
    )


def _summary(name: str, wall: float, res, cpus: int, trials: int, seconds: float) -> dict:
    table = res.table
    trial_wall = float(table["metric.wall"].sum())
    ideal = trials * seconds / cpus
    return {
        "part": name,
        "wall_s": wall,
        "ideal_s": ideal,
        "ratio": wall / ideal,
        "trials_ok": int((table["status"] == "ok").sum()),
        "trial_wall_sum_s": trial_wall,
        "ratio_to_trial_walls": wall / (trial_wall / cpus),
        "nodes": sorted(set(table["node"])),
        "load": os.getloadavg(),
    }


def part_local(trials: int, seconds: float) -> dict:
    from automl_core.runner.session import ensure_ray

    t = time.perf_counter()
    ensure_ray(num_cpus=2)
    ray_s = time.perf_counter() - t
    t = time.perf_counter()
    res = _tune(trials, seconds)
    out = _summary("local, 2 CPUs, first run", time.perf_counter() - t, res, 2, trials, seconds)
    out["ray_start_s"] = ray_s
    # a second experiment in the same process (a notebook, a script running several): after
    # each run the embedded Ray prestarts warm workers (runner/warm.py), which need a few
    # seconds of idle time to import our stack
    time.sleep(SETTLE_S)
    t = time.perf_counter()
    res = _tune(trials, seconds)
    out["next_run"] = _summary(
        f"local, 2 CPUs, next run ({SETTLE_S:g} s later)",
        time.perf_counter() - t,
        res,
        2,
        trials,
        seconds,
    )
    return out


def simulated_cluster():
    """The simulated cluster of the ``cluster`` part: a head without CPUs (it hosts the
    driver) and two 1-CPU nodes (``ray.cluster_utils.Cluster``, not connected)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        connect=False,
        head_node_args={"num_cpus": 0, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=1)
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    return cluster


def part_cluster(trials: int, seconds: float) -> dict:
    import ray

    t = time.perf_counter()
    cluster = simulated_cluster()
    start_s = time.perf_counter() - t
    t = time.perf_counter()
    res = _tune(trials, seconds, address=cluster.address)
    out = _summary("cluster, 2 nodes x 1 CPU", time.perf_counter() - t, res, 2, trials, seconds)
    out["cluster_start_s"] = start_s
    ray.shutdown()
    cluster.shutdown()
    return out


def part_driver(trials: int, seconds: float, results: str) -> None:
    from automl_core.runner.session import ensure_ray

    ensure_ray(num_cpus=2)
    _tune(trials, seconds, results_dir=results)


def _events(results: Path) -> list[dict]:
    path = results / "journal.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def part_resume(trials: int, seconds: float) -> dict:
    import tempfile

    results = Path(tempfile.mkdtemp(prefix="bench_resume_")) / "run"
    driver = subprocess.Popen(
        [sys.executable, __file__, "--part", "driver", "--results", str(results),
         "--trials", str(trials), "--work", str(seconds)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while sum(e["event"] == "trial" for e in _events(results)) < 4:
        if driver.poll() is not None:
            raise RuntimeError("the driver ended before it could be killed")
        time.sleep(0.05)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    time.sleep(2)  # let the killed driver's Ray processes go (they die with it)
    done_before = sum(e["event"] == "trial" for e in _events(results))
    automl = str(Path(sys.executable).with_name("automl"))
    t0 = time.time()
    proc = subprocess.run([automl, "resume", str(results), "--quiet"], capture_output=True)
    total = time.time() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode()[-2000:])
    events = _events(results)
    k = next(i for i, e in enumerate(events) if e["event"] == "resume")
    after = events[k:]
    launch = next(e for e in after if e["event"] == "launch")
    first_done = next(e for e in after if e["event"] == "trial")
    return {
        "part": "resume",
        "finished_before_kill": done_before,
        "rerun": after[0]["rerun"],
        "to_resume_event_s": after[0]["t"] - t0,
        "to_first_new_trial_launch_s": launch["t"] - t0,
        "to_first_new_trial_done_s": first_done["t"] - t0,
        "resume_total_s": total,
        "trials_in_table": sum(e["event"] == "trial" for e in events),
        "load": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["local", "cluster", "resume", "driver"])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--work", type=float, default=1.0, help="CPU seconds per trial")
    ap.add_argument("--results")
    args = ap.parse_args()
    if args.part == "driver":
        part_driver(args.trials, args.work, args.results)
        return
    if args.part:
        fn = {"local": part_local, "cluster": part_cluster, "resume": part_resume}[args.part]
        print("RESULT " + json.dumps(fn(args.trials, args.work)), flush=True)
        return

    print(f"{time.strftime('%Y-%m-%d %H:%M')}  load average {os.getloadavg()}")
    for part in ("local", "cluster", "resume"):
        cmd = [sys.executable, __file__, "--part", part, "--trials", str(args.trials)]
        proc = subprocess.run([*cmd, "--work", str(args.work)], capture_output=True, text=True)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(f"{part}: failed\n{proc.stderr[-3000:]}")
            continue
        r = json.loads(line[len("RESULT ") :])
        load = ", ".join(f"{x:.2f}" for x in r["load"])
        if part == "resume":
            print(
                f"resume: {r['finished_before_kill']} trials kept, {len(r['rerun'])} re-run; "
                f"automl resume -> journal read {r['to_resume_event_s']:.2f} s, first new "
                f"trial launched {r['to_first_new_trial_launch_s']:.2f} s, done "
                f"{r['to_first_new_trial_done_s']:.2f} s; whole resume {r['resume_total_s']:.1f} s "
                f"({r['trials_in_table']} trials in the journal)  load {load}"
            )
            continue
        for row in (r, r.get("next_run")):
            if row is None:
                continue
            load = ", ".join(f"{x:.2f}" for x in row["load"])
            print(
                f"{row['part']}: {row['trials_ok']} ok in {row['wall_s']:.2f} s = "
                f"{row['ratio']:.3f}x the ideal {row['ideal_s']:.0f} s; trials' own wall sum "
                f"/ 2 = {row['trial_wall_sum_s'] / 2:.2f} s -> "
                f"{row['ratio_to_trial_walls']:.3f}x; nodes {len(row['nodes'])}  load {load}"
            )


if __name__ == "__main__":
    main()
