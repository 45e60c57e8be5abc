"""The one adapter from an ask/tell :class:`~automl_core.Strategy` onto Ray Tune's Searcher."""

from __future__ import annotations

import math
import pickle
from typing import Any

from ray.tune.search import Searcher

from ..progress import Progress
from ..seeds import derive_seed
from ..space import SearchSpace
from ..strategies.base import Outcome, Strategy
from .records import Recorder, TrialRecord

__all__ = ["StrategySearcher"]


class StrategySearcher(Searcher):
    """``suggest`` → ``strategy.ask``; ``on_trial_complete`` → record + ``strategy.tell``.

    Trials are numbered 0, 1, 2... in the order they are asked; that number is the trial id of
    the results table and the key the strategy sees.
    """

    def __init__(
        self,
        strategy: Strategy,
        space: SearchSpace,
        recorder: Recorder,
        n_trials: int | None,
        seed: int,
        mode: str,
        progress: Progress | None = None,
    ):
        super().__init__(metric="score", mode=mode)
        self.strategy = strategy
        self.space = space
        self.recorder = recorder
        self.n_trials = n_trials
        self.seed = seed
        self.progress = progress
        self._ids: dict[str, int] = {}
        self._next = 0

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        if self.n_trials is not None and self._next >= self.n_trials:
            return Searcher.FINISHED
        n = self._next
        params = self.strategy.ask(str(n))
        if params is None:
            return Searcher.FINISHED
        self._next += 1
        full = self.space.with_constants(params)
        rec = TrialRecord(
            n,
            full,
            status="running",
            seed=derive_seed(self.seed, "trial", n),
            started_s=self.recorder.now(),
        )
        self.recorder.add(rec)
        self._ids[trial_id] = n
        return {"params": full, "trial": n, "seed": rec.seed}

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        n = self._ids.get(trial_id)
        if n is None or result.get("final"):
            return
        epoch = result.get("epoch", result.get("training_iteration"))
        for k, v in result.items():
            if k.startswith(("val_", "train_")) or k == "score":
                if isinstance(v, (int, float)):
                    self.recorder.history.append(
                        {"trial_id": n, "epoch": epoch, "metric": k, "value": float(v)}
                    )

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False):
        n = self._ids.get(trial_id)
        if n is None:
            return
        rec = self.recorder.trials[n]
        rec.finished_s = self.recorder.now()
        result = result or {}
        rec.node = result.get("node") or result.get("hostname")
        if error:
            rec.status = "failed"
            rec.error = self.recorder.errors.get(n) or "the trial's worker crashed"
        elif result.get("final"):
            rec.status = result.get("status", "ok")
            rec.error = result.get("error")
            # Ray Tune flattens nested result dicts: {"metrics": {"a": 1}} arrives as "metrics/a"
            rec.metrics = {
                k.split("/", 1)[1]: v for k, v in result.items() if k.startswith("metrics/")
            }
            score = result.get("score")
            rec.score = float(score) if score is not None and math.isfinite(score) else None
        else:
            # ended by the scheduler (ASHA/HyperBand) after an intermediate report
            rec.status = "stopped early"
            score = result.get("score")
            rec.score = (
                float(score) if isinstance(score, (int, float)) and math.isfinite(score) else None
            )
        if rec.status == "ok" and rec.score is None:
            rec.status = "failed"
            rec.error = rec.error or "the score is NaN"
        self.strategy.tell(str(n), Outcome(rec.score, rec.status, rec.metrics))
        if self.progress is not None:
            done = self.recorder.done()
            best = self.recorder.best(self.mode)
            self.progress.update(
                len(done),
                sum(r.status != "ok" for r in done),
                best.score if best else None,
                best.trial_id if best else None,
            )

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump({"strategy": self.strategy.state_dict(), "next": self._next}, f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            state = pickle.load(f)
        self.strategy.load_state_dict(state["strategy"])
        self._next = state["next"]
