"""Run an ask/tell strategy over an objective on Ray Tune; return our own records."""

from __future__ import annotations

import math
import os
import socket
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from ..progress import Progress
from ..space import SearchSpace
from ..strategies.base import Strategy
from .records import Recorder
from .session import ensure_ray

__all__ = ["run_search", "TrialContext"]

#: objects fetched from the object store, kept per worker process for the next trials of the
#: same experiment (the data is sent once, not once per trial)
_OBJECTIVES: dict[str, Any] = {}


class TrialContext:
    """What an objective receives besides its params: seed, resources, and per-epoch reporting."""

    def __init__(self, trial_id: int, seed: int, cpus: int, gpus: float, report: Callable):
        self.trial_id = trial_id
        self.seed = seed
        self.cpus = cpus
        self.gpus = gpus
        self._report = report
        self.epoch = 0

    def report(self, epoch: int | None = None, **metrics: float) -> None:
        """Report metrics of one epoch; ``score`` (the searched metric) lets schedulers stop early."""
        self.epoch = self.epoch + 1 if epoch is None else int(epoch)
        self._report({**metrics, "epoch": self.epoch, "final": False})


def _pin_threads(cpus: int) -> Any:
    """Limit BLAS/OpenMP (and torch, if loaded) threads to the trial's CPUs."""
    from threadpoolctl import threadpool_limits

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(cpus)
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(cpus)
    return threadpool_limits(cpus)


def _make_trainable(objective_ref: Any, key: str, cpus: int, gpus: float):
    def automl_trial(config: dict) -> None:
        import ray
        from ray import tune

        objective = _OBJECTIVES.get(key)
        if objective is None:
            objective = ray.get(objective_ref)
            _OBJECTIVES.clear()  # one experiment at a time per worker: free the last one's data
            _OBJECTIVES[key] = objective
        node = socket.gethostname()
        try:
            node = ray.get_runtime_context().get_node_id()[:8] + "@" + node
        except Exception:
            pass
        ctx = TrialContext(config["trial"], config["seed"], cpus, gpus, tune.report)
        t0 = time.perf_counter()
        with _pin_threads(cpus):
            try:
                out = objective(config["params"], ctx)
                score = float(out.pop("score"))
                status, error = (
                    ("ok", None) if math.isfinite(score) else ("failed", "the score is NaN")
                )
            except Exception as exc:  # a failing trial is a failed row; the run goes on
                tb = traceback.format_exc(limit=-3)
                out, score, status = {}, float("nan"), "failed"
                error = f"{type(exc).__name__}: {exc}\n{tb}"
        tune.report(
            {
                "final": True,
                "status": status,
                "score": score,
                "error": error,
                "metrics": out,
                "node": node,
                "trial_wall_s": time.perf_counter() - t0,
            }
        )

    return automl_trial


def _error_callback(recorder: Recorder):
    from ray import tune

    class _Errors(tune.Callback):
        """Keeps the text of errors that escaped the trial (worker crash, OOM kill)."""

        def on_trial_error(self, iteration, trials, trial, **info):
            n = trial.config.get("trial")
            if n is not None:
                err = (
                    trial.error_file
                    and os.path.exists(trial.error_file)
                    and open(trial.error_file).read()
                )
                recorder.errors[n] = (err or "the trial's worker crashed").strip()[-2000:]

    return _Errors()


def run_search(
    objective: Callable[[dict[str, Any], TrialContext], dict[str, Any]],
    space: SearchSpace,
    strategy: Strategy,
    *,
    n_trials: int | None,
    time_budget_s: float | None = None,
    mode: str = "max",
    metric_name: str = "score",
    cpu: float = 1,
    gpu: float = 0,
    seed: int = 0,
    address: str | None = None,
    scheduler: Any = None,
    show_progress: bool = True,
    storage_dir: str | None = None,
) -> Recorder:
    """Evaluate ``objective`` on the points ``strategy`` asks for, concurrently on Ray.

    ``objective(params, ctx)`` returns ``{"score": float, **other_metrics}``; exceptions and
    NaN scores become failed records. Returns the :class:`Recorder` with one record per trial.
    """
    ray = ensure_ray(address)
    from ray import tune

    from .schedulers import make_scheduler
    from .searcher import StrategySearcher

    scheduler = make_scheduler(scheduler, mode)
    recorder = Recorder()
    progress = Progress(n_trials, metric_name) if show_progress else None
    searcher = StrategySearcher(strategy, space, recorder, n_trials, seed, mode, progress)
    key = uuid.uuid4().hex
    ref = ray.put(objective)
    cpus_per_trial = max(1, int(math.ceil(cpu)))
    trainable = tune.with_resources(
        _make_trainable(ref, key, cpus_per_trial, gpu), {"cpu": cpu, "gpu": gpu}
    )
    total_cpu = ray.cluster_resources().get("CPU", 1)
    concurrent = max(1, int(total_cpu // cpu))
    if n_trials:
        concurrent = min(concurrent, n_trials)
    storage = storage_dir or tempfile.mkdtemp(prefix="automl_ray_")
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            search_alg=searcher,
            scheduler=scheduler,
            num_samples=n_trials if n_trials else -1,
            time_budget_s=time_budget_s,
            reuse_actors=True,
            max_concurrent_trials=concurrent,
        ),
        run_config=tune.RunConfig(
            name=f"automl_{key[:8]}",
            storage_path=os.path.abspath(storage),
            verbose=0,
            callbacks=[_error_callback(recorder)],
            checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )
    try:
        tuner.fit()
    finally:
        for rec in recorder.trials.values():
            if rec.status in ("pending", "running"):
                rec.status = "cancelled"
                rec.error = rec.error or "the run ended (time budget or interruption) first"
        if progress is not None:
            done = recorder.done()
            best = recorder.best(mode)
            progress.update(
                len(done),
                sum(r.status != "ok" for r in done),
                best.score if best else None,
                best.trial_id if best else None,
                final=True,
            )
    return recorder
