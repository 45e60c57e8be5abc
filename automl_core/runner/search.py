"""Run an ask/tell strategy over an objective on Ray Tune; return our own records."""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..journal import FINAL_STATUSES, ExperimentInterrupted, Journal, ResumeState, restore
from ..progress import Progress
from ..space import SearchSpace
from ..strategies.base import Strategy
from .cluster import check_resources, node_label, preflight, trial_slots
from .limits import TrialLimits, TrialTimeout
from .records import Recorder
from .session import embedded_node_id, ensure_ray, ensure_ray_env
from .warm import DEFAULT_PRELOAD, prestart_when_free, set_worker_preload

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
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(cpus)
    return threadpool_limits(cpus)


def _run_objective(objective, params, ctx, timeout_s, memory_mb) -> tuple[dict, float, str, Any]:
    """Call the objective under the trial's limits; every outcome becomes (out, score, status,
    error), so a failing trial is a row and the worker goes on to the next trial."""
    limits = TrialLimits(timeout_s, memory_mb)
    try:
        limits.arm()
        try:
            out = objective(params, ctx)
        finally:
            limits.disarm()
        score = float(out.pop("score"))
        if math.isfinite(score):
            return out, score, "ok", None
        return out, float("nan"), "failed", "the score is NaN"
    except TrialTimeout:
        limits.disarm()  # idempotent; the exception may have landed inside the first disarm
        return {}, float("nan"), "timeout", f"ran past its time limit of {timeout_s:g} s"
    except MemoryError:
        limits.disarm()
        cap = f" (limit: {memory_mb:g} MiB per trial)" if memory_mb else ""
        return {}, float("nan"), "oom", f"ran out of memory{cap}\n{traceback.format_exc(limit=-3)}"
    except Exception as exc:  # a failing trial is a failed row; the run goes on
        limits.disarm()
        tb = traceback.format_exc(limit=-3)
        return {}, float("nan"), "failed", f"{type(exc).__name__}: {exc}\n{tb}"


def _make_trainable(
    objective_ref: Any,
    key: str,
    cpus: int,
    gpus: float,
    timeout_s: float | None = None,
    memory_mb: float | None = None,
):
    def automl_trial(config: dict) -> None:
        import ray
        from ray import tune

        try:
            node = node_label(ray.get_runtime_context().get_node_id(), socket.gethostname())
        except Exception:
            node = socket.gethostname()
        t0 = time.perf_counter()
        objective = _OBJECTIVES.get(key)
        if objective is None:
            try:
                objective = ray.get(objective_ref)
            except Exception as exc:  # e.g. its module is not importable on this node
                cause = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
                out, score, status = {}, float("nan"), "failed"
                error = (
                    f"the objective could not be loaded on node {node}: {cause} (define it in "
                    "a module installed on every node, or in the script that runs the search)"
                )
                objective = None
            else:
                _OBJECTIVES.clear()  # one experiment at a time per worker: free the last one's
                _OBJECTIVES[key] = objective
        if objective is not None:
            ctx = TrialContext(config["trial"], config["seed"], cpus, gpus, tune.report)
            with _pin_threads(cpus):
                out, score, status, error = _run_objective(
                    objective, config["params"], ctx, timeout_s, memory_mb
                )
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


def _callbacks(recorder: Recorder) -> list[Any]:
    from ray import tune

    class _Track(tune.Callback):
        """Keeps Ray Tune's trial list, to read the error text of a crashed trial."""

        def on_step_begin(self, iteration, trials, **info):
            recorder.tune_trials = trials

    return [_Track()]


def _stopper(searcher: Any, deadline: float | None):
    from ray import tune

    class _RunStopper(tune.Stopper):
        """Ends the whole run at Ctrl-C or at the time budget (Ray Tune asks every step).

        Our own rather than ``TuneConfig(time_budget_s=...)`` so the trials cut short are
        known to be unfinished (run again on resume), not failed, and so a resumed run gets
        only what is left of its budget.
        """

        def __init__(self):
            self.interrupted = False
            self.deadline = deadline
            self.expired = False

        def __call__(self, trial_id, result):
            return False

        def stop_all(self):
            if self.deadline is not None and time.perf_counter() >= self.deadline:
                self.expired = True
            if self.interrupted or self.expired:
                searcher.stopping = True
                return True
            return False

    return _RunStopper()


class _SigintHandler:
    """First Ctrl-C: stop handing out trials, end the running ones, keep what finished.

    A second Ctrl-C raises ``KeyboardInterrupt`` at once. Installed only from the main thread
    (``signal`` allows no other); Ray Tune's own handler is off (``TUNE_DISABLE_SIGINT_HANDLER``)
    because it stops the loop without telling us it did.
    """

    def __init__(self, stopper: Any):
        self.stopper = stopper
        self.previous: Any = None
        self.installed = False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self.installed = True
        return self

    def _handle(self, signum, frame):
        if self.stopper.interrupted:
            raise KeyboardInterrupt
        self.stopper.interrupted = True
        print("\nautoml: stopping; Ctrl-C again to stop at once", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _needs_preflight(nodes: Sequence[Any]) -> bool:
    """Not on the one-node Ray this process started: its workers run this very interpreter."""
    here = embedded_node_id()
    return not (here is not None and [n.node_id for n in nodes] == [here])


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
    max_concurrent: int | None = None,
    retries: int = 0,
    trial_timeout_s: float | None = None,
    memory_mb: float | None = None,
    required_kinds: Mapping[str, Sequence[str]] | None = None,
    journal: Journal | None = None,
) -> Recorder:
    """Evaluate ``objective`` on the points ``strategy`` asks for, concurrently on Ray.

    ``objective(params, ctx)`` returns ``{"score": float, **other_metrics}``; exceptions and
    NaN scores become failed records. Returns the :class:`Recorder` with one record per trial.

    Cluster and faults: before any trial, the trial's ``cpu``/``gpu``/``memory_mb`` must fit on
    one alive node (:class:`~.cluster.ResourceError` otherwise) and, on a cluster, every such
    node must provide ``required_kinds`` (``{"model": [...], ...}``; :class:`PluginError`).
    At most ``max_concurrent`` trials run at once (default: as many as the nodes hold). A trial
    whose worker or node dies runs again, up to ``retries`` times. ``trial_timeout_s`` and
    ``memory_mb`` end a trial as "timeout" / "oom" (see :mod:`.limits`).

    Resume: with a ``journal`` (:mod:`automl_core.journal`) every ask, launch and finished
    trial is logged and the strategy is snapshotted; given a journal that already holds trials,
    the run continues it: finished trials are kept, unfinished ones run again with the same id,
    params and seed, and ``n_trials`` / ``time_budget_s`` count the whole experiment.
    Ctrl-C stops cleanly and raises :class:`~automl_core.journal.ExperimentInterrupted`.
    """
    # set Ray Tune's environment before anything imports it (the searcher module does)
    ensure_ray_env()
    from .searcher import StrategySearcher

    recorder = Recorder()
    resume: ResumeState | None = None
    if journal is not None and journal.count > 1:
        resume = restore(journal, strategy)
        # started_s / finished_s count from the experiment's first start, across processes
        recorder.t0 = time.perf_counter() - (time.time() - journal.header["t"])
    progress = Progress(n_trials, metric_name) if show_progress else None
    searcher = StrategySearcher(
        strategy,
        space,
        recorder,
        n_trials,
        seed,
        mode,
        progress,
        retries=retries,
        trial_timeout_s=trial_timeout_s,
        journal=journal,
        resume=resume,
    )
    remaining_s = time_budget_s
    if time_budget_s is not None and resume is not None:
        remaining_s = time_budget_s - resume.elapsed_s
    n_final = len(recorder.done())
    if resume is not None and resume.complete:
        _close(recorder, journal, progress, mode, end=None)
        return recorder
    if remaining_s is not None and remaining_s <= 0:
        _close(recorder, journal, progress, mode, end="time budget")
        return recorder
    if n_trials is not None and n_final >= n_trials and not searcher._queue:
        _close(recorder, journal, progress, mode, end="done")
        return recorder
    if journal is not None and resume is not None:
        journal.append(
            "resume", done=n_final, rerun=[n for n, _, _ in resume.rerun], remaining_s=remaining_s
        )

    # what this run's trials import: new workers of the embedded Ray preload it
    # (runner/worker_preload.py); an objective says so with a ``worker_preload`` attribute
    preload = getattr(objective, "worker_preload", DEFAULT_PRELOAD)
    ray = ensure_ray(address, preload=preload)
    from ray import tune

    from .schedulers import make_scheduler

    memory = float(memory_mb) * 2**20 if memory_mb else 0.0
    nodes = check_resources(ray, cpu, gpu, memory)
    recorder.node_names = {n.node_id: n.label for n in nodes}
    key = uuid.uuid4().hex
    ref = ray.put(objective)
    embedded = not _needs_preflight(nodes)
    if embedded:
        set_worker_preload(preload)  # Ray may have been started by an earlier run
    else:
        preflight(ray, nodes, required_kinds, ref)
    concurrent = trial_slots(nodes, cpu, gpu, memory)
    if max_concurrent:
        concurrent = min(concurrent, max_concurrent)
    if n_trials:
        concurrent = min(concurrent, n_trials)
    concurrent = max(1, concurrent)

    scheduler = make_scheduler(scheduler, mode)
    cpus_per_trial = max(1, int(math.ceil(cpu)))
    resources = {"cpu": cpu, "gpu": gpu, **({"memory": memory} if memory else {})}
    trainable = tune.with_resources(
        _make_trainable(ref, key, cpus_per_trial, gpu, trial_timeout_s, memory_mb), resources
    )
    deadline = time.perf_counter() + remaining_s if remaining_s is not None else None
    stopper = _stopper(searcher, deadline)
    storage = storage_dir or tempfile.mkdtemp(prefix="automl_ray_")
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            search_alg=searcher,
            scheduler=scheduler,
            num_samples=-1,  # the searcher says when it is done (retries re-use trial ids)
            reuse_actors=True,
            max_concurrent_trials=concurrent,
        ),
        run_config=tune.RunConfig(
            name=f"automl_{key[:8]}",
            storage_path=os.path.abspath(storage),
            verbose=0,
            stop=stopper,
            callbacks=_callbacks(recorder),
            checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
            # retries are ours (searcher): Ray Tune's would also re-run timeouts and OOM kills
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )
    end: str | None = None
    # Ray Tune logs "Trials did not complete" at ERROR for every crashed or cut-short trial:
    # our rows already say what happened to each
    tune_log = logging.getLogger("ray.tune.tune")
    log_level = tune_log.level
    tune_log.setLevel(logging.CRITICAL)
    try:
        with _SigintHandler(stopper):
            tuner.fit()
        if stopper.interrupted:
            end = None
        elif stopper.expired:
            end = "time budget"
        else:
            end = "done"
    except KeyboardInterrupt:  # a second Ctrl-C (or one outside the handler's reach)
        stopper.interrupted = True
    finally:
        tune_log.setLevel(log_level)
        if embedded:
            # Tune ends its trial actors now; have warm workers ready for the next run
            prestart_when_free(concurrent)
        _close(recorder, journal, progress, mode, end=end, interrupted=stopper.interrupted)
    if stopper.interrupted:
        raise _interrupted(recorder, n_trials, journal)
    return recorder


def _interrupted(recorder: Recorder, n_trials: int | None, journal: Journal | None):
    done = sum(r.status in FINAL_STATUSES for r in recorder.trials.values())
    exc = ExperimentInterrupted(done, n_trials, journal.dir if journal is not None else None)
    exc.recorder = recorder
    return exc


def _close(recorder, journal, progress, mode, end: str | None, interrupted: bool = False):
    """Unfinished trials read "cancelled"; the journal says how this process stopped."""
    cancelled = []
    for rec in recorder.trials.values():
        if rec.status in ("pending", "running"):
            rec.status = "cancelled"
            rec.error = rec.error or "the run ended (time budget or interruption) first"
            cancelled.append(rec.trial_id)
    if journal is not None:
        if interrupted:
            done = sum(r.status in FINAL_STATUSES for r in recorder.trials.values())
            journal.append("interrupted", done=done)
        elif end is not None and not journal.complete:
            journal.append("end", reason=end, cancelled=cancelled)
        journal.close()
    if progress is not None:
        progress.show(recorder, mode, final=True)
