"""Resuming an experiment from its results folder: ``ac.resume(dir)`` / ``automl resume DIR``.

A run given a results folder keeps a journal there (:mod:`automl_core.journal`). After the
driver died (``SIGKILL``, a lost machine) or was stopped (Ctrl-C), :func:`resume` starts the
same experiment again from the folder: finished trials are kept and never run again, the
strategy continues from its saved state, trials that were running run again with the same id,
params and seed, and the run stops when the table holds the requested number of trials (or the
rest of the time budget is spent). Resuming a finished experiment only rebuilds its results
(a finished autopilot run's are read back as saved: its refit is not redone).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .journal import (
    ExperimentInterrupted,
    Journal,
    has_journal,
    load_experiment,
    save_experiment,
)

__all__ = ["resume", "ExperimentInterrupted", "has_journal"]


def resume(
    results_dir: str | Path,
    *,
    address: str | None = None,
    show_progress: bool = True,
    objective: Callable | None = None,
):
    """Finish the experiment whose results folder is ``results_dir``; return its Results.

    ``address`` runs the rest on another Ray cluster than the one saved. ``objective`` is
    needed only for an ``ac.tune`` run whose function could not be saved (a lambda closing
    over unpicklable state); a warning at its start said so.
    """
    d = Path(results_dir)
    journal = Journal.open(d)
    saved = load_experiment(d)
    if saved["kind"] == "run":
        from .api import _run_experiment
        from .config import parse_config

        cfg = parse_config(saved["config"])
        update: dict[str, Any] = {"results_dir": str(d)}  # the folder may have moved
        if address is not None:
            update["address"] = address
        cfg = cfg.model_copy(update=update)
        return _run_experiment(
            cfg, saved["X"], saved["y"], dict(saved["info"]), show_progress, journal=journal
        )
    if saved["kind"] == "tune":
        from .api import tune

        fn = objective or saved.get("objective")
        if fn is None:
            raise ValueError(
                f"{d}: this ac.tune run's objective could not be saved; pass it again: "
                "ac.resume(dir, objective=my_function)"
            )
        kwargs = dict(saved["kwargs"])
        if address is not None:
            kwargs["address"] = address
        return tune(
            fn,
            saved["space"],
            **kwargs,
            show_progress=show_progress,
            results_dir=d,
            _journal=journal,
        )
    if saved["kind"] == "autopilot":
        from .autopilot import run_autopilot
        from .config import parse_config

        if journal.complete and (d / "info.json").exists():
            # searched, refit and saved (the autopilot's journal is made without an info.json):
            # its refit used the time its budget allowed then, so it is kept, not redone
            from .results import Results

            return Results.load(d)

        cfg = parse_config(saved["config"])
        update = {"results_dir": str(d), **({"address": address} if address else {})}
        return run_autopilot(
            cfg.model_copy(update=update),
            saved["X"],
            saved["y"],
            dict(saved["info"]),
            time_budget_s=saved["time_budget_s"],
            trials=saved["trials"],
            show_progress=show_progress,
            journal=journal,
        )
    raise ValueError(f"{d}: unknown experiment kind {saved['kind']!r}")


# -- used by automl_core.api when a run starts (kept here so api.py stays small) --------------


def run_journal(cfg: Any, X: Any, y: Any, info: dict[str, Any]) -> Journal | None:
    """Start the journal of a table experiment and save what resuming it needs."""
    if not cfg.results_dir:
        return None
    d = Path(cfg.results_dir)
    journal = Journal.create(
        d,
        kind="run",
        n_trials=cfg.budget.trials,
        time_budget_s=cfg.budget.time_s,
        seed=cfg.seed,
        strategy=cfg.strategy.kind,
        metric=cfg.metric,
    )
    save_experiment(
        d, {"kind": "run", "config": cfg.model_dump(mode="json"), "X": X, "y": y, "info": info}
    )
    return journal


def autopilot_journal(
    cfg: Any,
    X: Any,
    y: Any,
    info: dict[str, Any],
    time_budget_s: float,
    trials: int | None,
    setup_s: float = 0.0,
) -> Journal:
    """Start the journal of an autopilot run (``setup_s``: the budget its cleaning used)."""
    d = Path(cfg.results_dir)
    (d / "info.json").unlink(missing_ok=True)  # an earlier run's: "saved" means this run's
    journal = Journal.create(
        d,
        kind="autopilot",
        n_trials=trials,
        time_budget_s=time_budget_s,
        seed=cfg.seed,
        strategy="auto",
        metric=cfg.metric,
        setup_s=round(setup_s, 3),
    )
    save_experiment(
        d,
        {
            "kind": "autopilot",
            "config": cfg.model_dump(mode="json"),
            "X": X,
            "y": y,
            "info": info,
            "time_budget_s": time_budget_s,
            "trials": trials,
        },
    )
    return journal


def tune_journal(
    results_dir: str | Path | None, objective: Callable, space: Any, kwargs: dict[str, Any]
) -> Journal | None:
    """Start the journal of an ``ac.tune`` run; the function is saved with cloudpickle."""
    if not results_dir:
        return None
    d = Path(results_dir)
    journal = Journal.create(
        d,
        kind="tune",
        n_trials=kwargs.get("trials"),
        time_budget_s=kwargs.get("time_budget_s"),
        seed=kwargs.get("seed"),
        strategy=(kwargs.get("strategy") or {}).get("kind"),
        metric=kwargs.get("metric"),
    )
    payload = {"kind": "tune", "objective": objective, "space": space, "kwargs": kwargs}
    try:
        save_experiment(d, payload)
    except Exception as exc:  # an objective holding a lock, a socket, a live model...
        warnings.warn(
            f"the objective could not be saved for resume ({type(exc).__name__}: {exc}); "
            "resume this run with ac.resume(dir, objective=...)",
            RuntimeWarning,
            stacklevel=3,
        )
        save_experiment(d, {**payload, "objective": None})
    return journal


def required_kinds(cfg: Any) -> dict[str, list[str]]:
    """The cleaner / model / regularizer kinds the workers must know to run ``cfg``."""
    from .experiment import default_models

    models = list(cfg.models or (default_models(cfg.task) if cfg.task else []))
    return {
        "cleaner": sorted({c.kind for c in cfg.cleaners or []}),
        "model": sorted({m.kind for m in models}),
        "regularizer": sorted({r.kind for m in models for r in getattr(m, "regularizers", [])}),
    }


def save_interrupted(exc: ExperimentInterrupted, results_dir: Any, **results: Any) -> None:
    """Write the table of what finished before Ctrl-C (no refit) beside the journal."""
    if not results_dir or exc.recorder is None:
        return
    import pandas as pd

    from .results import Results, build_table

    rec = exc.recorder
    table = build_table(rec.trials.values(), results.pop("strategy"), results.pop("names"))
    Results(
        table=table,
        history=pd.DataFrame(rec.history, columns=["trial_id", "epoch", "metric", "value"]),
        info={"interrupted": True, "resume": f"automl resume {results_dir}"},
        **results,
    ).save(results_dir)
