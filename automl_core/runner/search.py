"""The Ray Tune executor: the trial engine's trials as Ray Tune trials, on one machine or a
cluster. The engine (:mod:`automl_core.trials.engine`) decides everything about a trial; this
module starts Ray, checks the nodes, ships the objective once, and runs Tune."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ..trials.engine import TrialEngine
from ..trials.worker import TrialContext, pin_threads, run_objective
from .cluster import check_resources, node_label, preflight, trial_slots
from .session import embedded_node_id, ensure_ray, ensure_ray_env
from .warm import (
    DEFAULT_PRELOAD,
    STARTED_WAIT_S,
    prestart_when_free,
    set_worker_preload,
    wait_for_prestarted,
)

__all__ = ["run_on_ray"]

#: objects fetched from the object store, kept per worker process for the next trials of the
#: same experiment (the data is sent once, not once per trial)
_OBJECTIVES: dict[str, Any] = {}


def _load_objective(objective_ref: Any, key: str, node: str) -> tuple[Any, str | None]:
    objective = _OBJECTIVES.get(key)
    if objective is not None:
        return objective, None
    import ray

    try:
        objective = ray.get(objective_ref)
    except Exception as exc:  # e.g. its module is not importable on this node
        cause = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
        return None, (
            f"the objective could not be loaded on node {node}: {cause} (define it in "
            "a module installed on every node, or in the script that runs the search)"
        )
    _OBJECTIVES.clear()  # one experiment at a time per worker: free the last one's
    _OBJECTIVES[key] = objective
    return objective, None


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
        objective, error = _load_objective(objective_ref, key, node)
        out, score, status = {}, float("nan"), "failed"
        if objective is not None:
            ctx = TrialContext(config["trial"], config["seed"], cpus, gpus, tune.report)
            with pin_threads(cpus):
                out, score, status, error = run_objective(
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


def _stopper(engine: TrialEngine):
    from ray import tune

    class _RunStopper(tune.Stopper):
        """Ends the whole run at Ctrl-C or at the engine's deadline (Ray Tune asks every step).

        Our own rather than ``TuneConfig(time_budget_s=...)`` so the trials cut short are
        known to be unfinished (run again on resume), not failed, and so the run keeps the
        one deadline it was given.
        """

        def __init__(self):
            self.interrupted = False
            self.expired = False

        def __call__(self, trial_id, result):
            return False

        def stop_all(self):
            if engine.expired():
                self.expired = True
            if self.interrupted or self.expired:
                engine.stopping = True
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


def _tuner(trainable, searcher, stopper, scheduler, concurrent: int, storage: str, key: str):
    from ray import tune

    from .schedulers import make_scheduler
    from .searcher import search_algorithm

    return tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            # at most `concurrent` trials at once: the ConcurrencyLimiter inside (Tune's own
            # max_concurrent_trials would wrap the searcher the same way)
            search_alg=search_algorithm(searcher, concurrent),
            scheduler=make_scheduler(scheduler, searcher.engine.mode),
            num_samples=-1,  # the engine says when it is done (retries re-use trial ids)
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=f"automl_{key[:8]}",
            storage_path=os.path.abspath(storage),
            verbose=0,
            stop=stopper,
            # no callbacks (see runner/searcher.py: one would cost ~1 s of imports per run)
            checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
            # retries are the engine's: Ray Tune's would also re-run timeouts and OOM kills
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )


class _NoResultFilesFilter(logging.Filter):
    """Drops Ray Tune's end-of-run WARNING "Failed to fetch metrics for N trial(s)" when every
    trial it names failed only because its ``result.json``/``progress.csv`` does not exist.

    Those files are Tune's per-trial loggers', which we switch off
    (``TUNE_DISABLE_AUTO_CALLBACK_LOGGERS``, :data:`.session.TUNE_ENV`: the journal keeps our
    records); ``Tuner.fit`` still builds an ``ExperimentAnalysis`` that looks for them, and
    we never read its tables. Any other failure in the record keeps it whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if not msg.startswith("Failed to fetch metrics for"):
            return True
        failures = [line for line in msg.splitlines()[1:] if line.strip()]
        return not failures or not all(
            "FileNotFoundError" in f and "were not found" in f for f in failures
        )


@contextlib.contextmanager
def _tune_logs_we_answer():
    """While ``Tuner.fit`` runs: Ray Tune's messages about what our own records say.

    "Trials did not complete" (``ray.tune.tune``, ERROR, for every crashed or cut-short
    trial): our rows already say what happened to each. "Failed to fetch metrics": see
    :class:`_NoResultFilesFilter`. Other warnings of Ray Tune pass.
    """
    tune_log = logging.getLogger("ray.tune.tune")
    analysis_log = logging.getLogger("ray.tune.analysis.experiment_analysis")
    level = tune_log.level
    no_files = _NoResultFilesFilter()
    tune_log.setLevel(logging.CRITICAL)
    analysis_log.addFilter(no_files)
    try:
        yield
    finally:
        tune_log.setLevel(level)
        analysis_log.removeFilter(no_files)


def _needs_preflight(nodes: Sequence[Any]) -> bool:
    """Not on the one-node Ray this process started: its workers run this very interpreter."""
    here = embedded_node_id()
    return not (here is not None and [n.node_id for n in nodes] == [here])


def run_on_ray(
    objective: Any,
    engine: TrialEngine,
    *,
    cpu: float = 1,
    gpu: float = 0,
    address: str | None = None,
    scheduler: Any = None,
    storage_dir: str | None = None,
    max_concurrent: int | None = None,
    required_kinds: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Run ``engine``'s trials of ``objective`` on Ray Tune until the engine has no more, its
    deadline passes, or Ctrl-C (then :class:`ExperimentInterrupted` is raised, what finished
    kept in the journal).

    Before any trial the trial's ``cpu``/``gpu``/``memory`` must fit on one alive node
    (:class:`~.cluster.ResourceError`) and, on a cluster, every such node must provide
    ``required_kinds`` (:class:`~automl_core.plugins.PluginError`). At most ``max_concurrent``
    trials run at once (default: as many as the nodes hold).
    """
    # set Ray Tune's environment before anything imports it (the searcher module does)
    ensure_ray_env()
    from .searcher import EngineSearcher

    # what this run's trials import: new workers of the embedded Ray preload it
    # (runner/worker_preload.py); an objective says so with a ``worker_preload`` attribute
    preload = getattr(objective, "worker_preload", DEFAULT_PRELOAD)
    ray = ensure_ray(address, preload=preload)
    from ray import tune

    memory = float(engine.memory_mb) * 2**20 if engine.memory_mb else 0.0
    nodes = check_resources(ray, cpu, gpu, memory)
    engine.recorder.node_names = {n.node_id: n.label for n in nodes}
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
    if engine.n_trials:
        concurrent = min(concurrent, engine.n_trials)
    concurrent = max(1, concurrent)

    searcher = EngineSearcher(engine)
    cpus_per_trial = max(1, int(math.ceil(cpu)))
    resources = {"cpu": cpu, "gpu": gpu, **({"memory": memory} if memory else {})}
    trainable = tune.with_resources(
        _make_trainable(ref, key, cpus_per_trial, gpu, engine.trial_timeout_s, engine.memory_mb),
        resources,
    )
    stopper = _stopper(engine)
    # Ray Tune's own experiment folder: ours is the journal, so a temporary one is removed
    storage = storage_dir or tempfile.mkdtemp(prefix="automl_ray_")
    tuner = _tuner(trainable, searcher, stopper, scheduler, concurrent, storage, key)
    end: str | None = None
    try:
        with _SigintHandler(stopper), _tune_logs_we_answer():
            if embedded:  # only the first run after this process started Ray waits
                left = engine.deadline.left() if engine.deadline.bounded else STARTED_WAIT_S
                wait_for_prestarted(min(STARTED_WAIT_S, left))
            tuner.fit()
        if not stopper.interrupted:
            end = "time budget" if stopper.expired else "done"
    except KeyboardInterrupt:  # a second Ctrl-C (or one outside the handler's reach)
        stopper.interrupted = True
    finally:
        if embedded:
            # Tune ends its trial actors now; have warm workers ready for the next run
            prestart_when_free(concurrent)
        engine.close(end, interrupted=stopper.interrupted)
        if storage_dir is None:
            shutil.rmtree(storage, ignore_errors=True)
    if stopper.interrupted:
        raise engine.interrupted_error()
