"""Deep-learning benchmarks (issue 5): ASHA on the digits CNN search, training throughput.

    python benchmarks/bench_torch.py                  # CPU: 4-6 minutes on a shared 2-core box
    python benchmarks/bench_torch.py --device cuda    # a GPU machine: gpu: 1 per trial
    python benchmarks/bench_torch.py --json out.json  # also write the figures

1. The case study's search (``plugins/automl-core-torch/examples/digits_cnn.py``: digits,
   resize + standardize cleaners, CNN with dropout) run twice with the same strategy, seed
   and number of trials: with ASHA and without (by default lighter than the case study, 2
   folds and 15 epochs, to stay within 5 minutes on 2 cores). Reports wall time, the CPU
   time the Ray workers used (what wall time would be on a machine of our own: other
   people's load moves wall time a lot here), trial-epochs trained and the best CV / test
   accuracy of each.
2. Training throughput (samples/s) of one trial's model: ``TorchClassifier.fit`` against a
   plain hand-written torch loop on the same network, data, batch size and optimizer (the
   lean loop: tensor slices, no DataLoader: the hardest baseline), one thread each (a 1-CPU
   trial), alternating runs, medians. Also the rate inside a trial's epoch-wise 3-fold
   cross-validation (validation scored after every epoch), for the overhead of reporting.
3. ``--device cuda``: the same throughput on the GPU (float32 and mixed precision) against
   the CPU, and the search with ``gpu: 1`` per trial (the spec asks for ``device="cuda"``, so
   a trial that did not get the GPU fails instead of silently using the CPU).

Ray workers run at nice 15 by default; on a busy shared machine that starves them against
everything else, so this script starts Ray with ``RAY_worker_niceness=0`` (unless set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "automl-core-torch" / "examples"))


# ---- 1. the search with and without ASHA --------------------------------------------------


class _WorkerCpu:
    """CPU-seconds used by Ray's worker processes (``ray::...`` titles) while a search runs:
    the work the search cost, whatever else the shared machine is doing. Polls ``/proc``
    (Linux) because trial workers may exit before the end; a worker's last < 0.25 s is lost.
    """

    SKIP = (b"ray::Dashboard", b"ray::RuntimeEnv")

    def __init__(self):
        import threading

        self.tick = os.sysconf("SC_CLK_TCK")
        self.first = self._read()
        self.last = dict(self.first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _read(self) -> dict[int, float]:
        """CPU-seconds of the ``ray::`` processes descending from this one (our local Ray:
        other people's Ray clusters on the same machine are not ours to count)."""
        parent, cpu, ray_pids = {}, {}, set()
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parent[int(pid)] = int(fields[1])
                cpu[int(pid)] = (int(fields[11]) + int(fields[12])) / self.tick
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read(64)
                if cmd.startswith(b"ray::") and not cmd.startswith(self.SKIP):
                    ray_pids.add(int(pid))
            except (OSError, IndexError, ValueError):
                continue
        me, out = os.getpid(), {}
        for pid in ray_pids:
            p, hops = parent.get(pid), 0
            while p not in (None, 0, 1, me) and hops < 16:
                p, hops = parent.get(p), hops + 1
            if p == me:
                out[pid] = cpu[pid]
        return out

    def _poll(self):
        while not self._stop.wait(0.25):
            for pid, t in self._read().items():
                self.last[pid] = max(t, self.last.get(pid, 0.0))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return sum(t - self.first.get(pid, 0.0) for pid, t in self.last.items())


def search(asha: bool, trials: int, epochs: int, folds: int, device: str, seed: int) -> dict:
    from digits_cnn import digits_table, experiment

    import automl_core as ac

    cfg = experiment(
        budget_s=None,
        trials=trials,
        asha=asha,
        device=device,
        epochs=epochs,
        seed=seed,
    )
    cfg["cv"]["folds"] = folds  # ASHA as in the case study: rungs at epochs 3 and 9
    load_before = os.getloadavg()[0]
    meter = _WorkerCpu()
    t0 = time.perf_counter()
    res = ac.run(digits_table(), config=cfg, show_progress=False)
    wall = time.perf_counter() - t0
    cpu = meter.stop()
    status = res.table["status"].value_counts().to_dict()
    return {
        "asha": asha,
        "wall_s": round(wall, 1),
        "worker_cpu_s": round(cpu, 1),
        "trials": len(res.table),
        "stopped_early": int(status.get("stopped early", 0)),
        "failed": int(status.get("failed", 0)),
        "trial_epochs": int((res.history["metric"] == "score").sum()),
        "best_cv_accuracy": round(res.best.score, 4) if res.best else None,
        "test_accuracy": round(res.info["test_score"], 4) if res.best else None,
        "errors": sorted({str(e)[:200] for e in res.table["error"].dropna()})[:2],
        # a shared machine: the load around the run says how far wall times compare
        "load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


# ---- 2. throughput --------------------------------------------------------------------------


def _data(size: int = 12):
    """The case study's training images: digits resized to size x size, standardized."""
    from sklearn.datasets import load_digits

    from automl_core.data.cleaning.images import resize_images

    X, y = load_digits(return_X_y=True)
    imgs = resize_images((X / 16.0).reshape(-1, 8, 8, 1).astype(np.float32), size, size)
    imgs = (imgs - imgs.mean()) / imgs.std()
    return imgs[..., 0].astype(np.float32), y.astype(np.int64)


NET = dict(conv_blocks=2, filters=32, kernel_size=3, dense_units=128)
TRAIN = dict(batch_size=64, learning_rate=1e-3, dropout=0.25)


def plain_loop(X, y, epochs: int, device: str) -> float:
    """The hand-written baseline: same network, Adam, shuffled slices. Returns samples/s."""
    import torch
    import torch.nn.functional as F
    from automl_core_torch import CNNNet

    _sync(device)
    clock = _Clock()  # from arrays to a trained model, as the estimator's fit
    torch.manual_seed(0)
    model = CNNNet(**NET).build((1, *X.shape[1:]), 10, TRAIN["dropout"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=TRAIN["learning_rate"])
    Xt = torch.as_tensor(X[:, None]).to(device)
    yt = torch.as_tensor(y).to(device)
    n, bs = len(Xt), TRAIN["batch_size"]
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, device=device)
        total = 0.0
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            opt.zero_grad()
            loss = F.cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item()
    _sync(device)
    return clock.rates(n * epochs)


def estimator_fit(X, y, epochs: int, device: str, amp: bool = False) -> float:
    """``TorchClassifier.fit`` on the same data (conversion and standardizing included)."""
    from automl_core_torch import CNNNet, TorchClassifier

    est = TorchClassifier(
        CNNNet(**NET),
        epochs=epochs,
        batch_size=TRAIN["batch_size"],
        learning_rate=TRAIN["learning_rate"],
        dropout=TRAIN["dropout"],
        device=device,
        amp=amp,
        n_jobs=1,
    )
    _sync(device)
    clock = _Clock()
    est.fit(X, y)
    _sync(device)
    return clock.rates(len(X) * epochs)


def in_trial(X, y, epochs: int, device: str) -> float:
    """Training rows per second inside one trial: 3 folds in lockstep, validation after each
    epoch (what ``PipelineObjective`` runs), reports to a no-op context."""
    import pandas as pd
    from automl_core_torch import CNNNet, TorchClassifier

    from automl_core.data.cleaning import images_to_frame
    from automl_core.evaluation.cv import make_folds
    from automl_core.evaluation.epochs import cross_validate_epochs
    from automl_core.evaluation.pipeline import AutoPipeline

    class Ctx:
        cpus, gpus = 1, int(device == "cuda")

        def report(self, epoch=None, **metrics):
            pass

    frame, target = images_to_frame(X), pd.Series(y)
    folds = make_folds(target, "classification", 3, True, None, 0)
    est = TorchClassifier(
        CNNNet(**NET), epochs=epochs, device=device, n_jobs=1, **TRAIN
    )  # fmt: skip
    clock = _Clock()
    cross_validate_epochs(AutoPipeline([("cnn", est)]), frame, target, folds, "accuracy", (), Ctx())
    return clock.rates(sum(len(tr) for tr, _ in folds) * epochs)


class _Clock:
    """Wall and CPU time together. With one torch thread, samples per CPU-second do not move
    when other processes take the cores (they do: this machine is shared), wall rates do."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, samples: int) -> dict[str, float]:
        return {
            "wall": samples / (time.perf_counter() - self.wall),
            "cpu": samples / max(time.process_time() - self.cpu, 1e-9),
        }


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def throughput(device: str, epochs: int, repeats: int) -> dict:
    import torch

    torch.set_num_threads(1)  # a 1-CPU trial
    X, y = _data()
    plain_loop(X[:256], y[:256], 1, device)  # warm-up (allocator, kernels)
    estimator_fit(X[:256], y[:256], 1, device)
    runs: dict[str, list[dict]] = {"plain_loop": [], "estimator_fit": []}
    for _ in range(repeats):  # alternate, so drifting machine load hits both alike
        runs["plain_loop"].append(plain_loop(X, y, epochs, device))
        runs["estimator_fit"].append(estimator_fit(X, y, epochs, device))
    # on a GPU the CPU clock says nothing: wall time it is
    clock = "wall" if device == "cuda" else "cpu"
    out: dict = {"clock": clock}
    for k, vals in runs.items():
        out[k] = round(statistics.median(r[clock] for r in vals), 1)
        out[k + "_wall"] = round(statistics.median(r["wall"] for r in vals), 1)
    # paired: each estimator run against the loop run just before it
    pairs = zip(runs["estimator_fit"], runs["plain_loop"])
    out["slowdown_pct"] = round(
        100 * (1 - statistics.median(e[clock] / p[clock] for e, p in pairs)), 1
    )
    out["in_trial_3fold"] = round(in_trial(X, y, epochs, device)[clock], 1)
    if device == "cuda":
        amp = [estimator_fit(X, y, epochs, device, amp=True)["wall"] for _ in range(repeats)]
        out["estimator_fit_amp"] = round(statistics.median(amp), 1)
        out["cpu_estimator_fit"] = round(estimator_fit(X, y, epochs, "cpu")["wall"], 1)
        out["gpu_vs_cpu"] = round(out["estimator_fit"] / out["cpu_estimator_fit"], 2)
    out.update(device=device, epochs=epochs, rows=len(X), repeats=repeats)
    out["runs"] = {k: [round(r[clock]) for r in vals] for k, vals in runs.items()}
    return out


# ---- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--trials", type=int, default=12, help="trials per search (default 12)")
    parser.add_argument("--epochs", type=int, default=15, help="epochs per trial (default 15)")
    parser.add_argument("--folds", type=int, default=2, help="CV folds per trial (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="throughput repeats (default 5)")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_worker_niceness", "0")
    t0 = time.perf_counter()
    out: dict = {"date": time.strftime("%Y-%m-%d"), "device": args.device}

    tp = throughput(args.device, epochs=3, repeats=args.repeats)
    out["throughput"] = tp
    per = "CPU-second" if tp["clock"] == "cpu" else "second"
    print(f"throughput ({tp['device']}, samples per {per}, median of {tp['repeats']}):")
    print(f"  plain torch loop   {tp['plain_loop']:>10,.0f}")
    print(
        f"  TorchClassifier    {tp['estimator_fit']:>10,.0f}  ({tp['slowdown_pct']:+.1f}% slower)"
    )
    print(f"  in a 3-fold trial  {tp['in_trial_3fold']:>10,.0f}  (validation after every epoch)")
    if tp["clock"] == "cpu":
        print(
            f"  (wall-clock: loop {tp['plain_loop_wall']:,.0f}, "
            f"TorchClassifier {tp['estimator_fit_wall']:,.0f} samples/s)"
        )
    if args.device == "cuda":
        print(f"  GPU + amp          {tp['estimator_fit_amp']:>10,.0f}")
        print(f"  same fit on CPU    {tp['cpu_estimator_fit']:>10,.0f}  (GPU x{tp['gpu_vs_cpu']})")

    if not args.skip_search:
        from automl_core.runner.session import ensure_ray

        ensure_ray()  # started once, outside the timings
        rows = [
            search(False, args.trials, args.epochs, args.folds, args.device, args.seed),
            search(True, args.trials, args.epochs, args.folds, args.device, args.seed),
        ]
        out["search"] = rows
        none, asha = rows
        out["asha_time_saved_pct"] = round(100 * (1 - asha["wall_s"] / none["wall_s"]), 1)
        out["asha_cpu_saved_pct"] = round(
            100 * (1 - asha["worker_cpu_s"] / max(none["worker_cpu_s"], 1e-9)), 1
        )
        # the work, whatever the machine's load: epochs trained over all trials
        out["asha_epochs_saved_pct"] = round(
            100 * (1 - asha["trial_epochs"] / none["trial_epochs"]), 1
        )
        print(
            f"\ndigits CNN search, {args.trials} trials x {args.epochs} epochs, {args.folds} folds:"
        )
        print(
            "  scheduler  wall_s  worker_cpu_s  stopped  trial-epochs  best_cv  test    load(1min)"
        )
        for r in rows:
            print(
                f"  {'asha' if r['asha'] else 'none':<9} {r['wall_s']:>7} {r['worker_cpu_s']:>13} "
                f"{r['stopped_early']:>8} "
                f"{r['trial_epochs']:>13} {r['best_cv_accuracy']:>8} {r['test_accuracy']:>6}"
                f"  {r['load_1min'][0]}->{r['load_1min'][1]}"
            )
            for e in r["errors"]:
                print("    error:", e)
        print(
            f"  ASHA saved {out['asha_time_saved_pct']}% of the wall time, "
            f"{out['asha_cpu_saved_pct']}% of the trials' CPU time, "
            f"{out['asha_epochs_saved_pct']}% of the epochs trained"
        )
    out["total_s"] = round(time.perf_counter() - t0, 1)
    print(f"\ntotal {out['total_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
