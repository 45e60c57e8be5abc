"""Our scheduler config onto Ray Tune's early-stopping schedulers."""

from __future__ import annotations

from typing import Any

__all__ = ["make_scheduler"]


def make_scheduler(cfg: Any, mode: str) -> Any:
    """A Ray Tune scheduler for ``cfg`` (a SchedulerConfig, a kind string, a dict, or None).

    ``max_t`` is one past ``max_epochs``: Ray stops a trial that reaches ``max_t``, and a trial
    that trains all its epochs must end "ok" with its final metrics, not "stopped early". ASHA
    still has a rung at ``max_epochs`` when it is ``grace_period`` times a power of the
    reduction factor (9 epochs, factor 3); a trial stopped there reported ``last=True``
    (:meth:`~automl_core.trials.worker.TrialContext.report`) and ends "ok" with that score.
    Trials report ``score`` once per epoch (``TrialContext.report``); the scheduler compares
    trials at the same epoch and stops the bad ones, whose rows read "stopped early".
    """
    if cfg is None:
        return None
    if isinstance(cfg, str):
        cfg = {"kind": cfg}
    if isinstance(cfg, dict):
        from ..config import SchedulerConfig

        cfg = SchedulerConfig.model_validate(cfg)
    if cfg.kind == "none":
        return None
    from ray.tune.schedulers import ASHAScheduler, HyperBandScheduler

    if cfg.kind == "asha":
        return ASHAScheduler(
            time_attr="epoch",
            metric="score",
            mode=mode,
            max_t=cfg.max_epochs + 1,
            grace_period=min(cfg.grace_period, cfg.max_epochs),
            reduction_factor=cfg.reduction_factor,
        )
    return HyperBandScheduler(
        time_attr="epoch",
        metric="score",
        mode=mode,
        max_t=cfg.max_epochs + 1,
        reduction_factor=cfg.reduction_factor,
    )
