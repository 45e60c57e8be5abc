"""Hyperopt's TPE driven ask/tell: ``hyperopt.Trials`` + ``tpe.suggest``, no ``fmin`` loop.

``fmin`` does, per trial: ``new_ids = trials.new_trial_ids(1)``, ``trials.refresh()``,
``docs = algo(new_ids, domain, trials, rstate.integers(2**31 - 1))``, insert the docs, evaluate,
mark them done. :meth:`TPEStrategy.ask` does the same first half with ``self.rng`` in the role
of ``rstate`` (both are ``np.random.default_rng(seed)``), and :meth:`TPEStrategy.tell` the second
half, so a sequential run reproduces ``fmin(..., rstate=np.random.default_rng(seed))`` exactly.

A trial handed out and not yet told stays in ``trials`` as a running document: TPE counts it
(with an infinite loss) and does not wait for it. Failed and NaN trials are ``STATUS_FAIL``.

Early stopping: once some trial reported epochs, every told trial's loss is its loss at one
rung, the rule ``gp`` uses (:func:`automl_core.search.strategies.fidelity.choose_level` and
:func:`~automl_core.search.strategies.fidelity.losses_at`): the highest epoch that
:data:`MIN_RUNG_POINTS` trials reached, a trial stopped below it entering with its last loss
moved by the median gap between the two epochs, measured on the trials that reached both.
Before, the loss was the trial's place in ``fidelity.ranking`` (got further first, then lower
loss), so every trial stopped at a low rung ranked below every finished one. TPE's "good" set
is small (``ceil(gamma * sqrt(n))`` trials) and everything else forms its "bad" density, so a
configuration near the good ones that ASHA stopped at a rung where the scores are close
counted as evidence against that region. On the digits case study with ASHA
(``benchmarks/bench_early_stopping.py``, 45 s, 5 seeds; benchmarks/RESULTS.md) tpe reached
random search's best in a median 0.47 of the budget with this rule, and its best beat Optuna
TPE's (0.9792 against 0.9785; with the rank rule, in an earlier run, 0.44 and 0.9777 against
0.9800). Without epochs the losses are the scores as they are, so a sequential run still
reproduces ``fmin`` exactly.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Literal

from automl_core.search.space import SearchSpace
from automl_core.search.strategies.base import Outcome, Strategy
from automl_core.search.strategies.fidelity import Seen, choose_level, losses_at, seen
from hyperopt import STATUS_FAIL, STATUS_OK, Domain, Trials, space_eval, tpe
from hyperopt.base import JOB_STATE_DONE, JOB_STATE_RUNNING, spec_from_misc

from .space import flatten, to_hyperopt

__all__ = ["TPEStrategy", "tpe_algo", "MIN_RUNG_POINTS"]

#: trials that must have reached an epoch for TPE to model the losses there (gp's value)
MIN_RUNG_POINTS = 2


def tpe_algo(
    n_startup_jobs: int = 20,
    n_EI_candidates: int = 24,
    gamma: float = 0.25,
    prior_weight: float = 1.0,
) -> Any:
    """``tpe.suggest`` with these settings (hyperopt's defaults), as ``fmin``'s ``algo`` takes it."""
    return functools.partial(
        tpe.suggest,
        n_startup_jobs=n_startup_jobs,
        n_EI_candidates=n_EI_candidates,
        gamma=gamma,
        prior_weight=prior_weight,
    )


def _never_called(_: Any) -> float:  # pragma: no cover - the Domain needs an objective
    raise RuntimeError("the ask/tell TPE strategy never evaluates the objective itself")


class TPEStrategy(Strategy):
    """Tree-structured Parzen Estimator from hyperopt over a (conditional) search space."""

    def __init__(
        self,
        space: SearchSpace,
        mode: Literal["min", "max"] = "max",
        seed: int = 0,
        **algo_kwargs: Any,
    ):
        super().__init__(space, mode, seed)
        self.hp_space = to_hyperopt(space)
        self.algo = tpe_algo(**algo_kwargs)
        self.domain = Domain(_never_called, self.hp_space)
        self.trials = Trials()
        self._tids: dict[str, int] = {}  # our trial id -> hyperopt tid, while pending
        self._seen: dict[int, Seen] = {}  # hyperopt tid -> what the trial gave

    def ask(self, trial_id: str) -> dict[str, Any] | None:
        if not self.space.dims:
            self._tids[trial_id] = -1
            return {}
        new_ids = self.trials.new_trial_ids(1)
        self._rung_losses()
        self.trials.refresh()
        docs = self.algo(new_ids, self.domain, self.trials, self.rng.integers(2**31 - 1))
        doc = docs[0]
        # fmin inserts the doc as NEW and its evaluator marks it RUNNING; we hand it out now
        doc["state"] = JOB_STATE_RUNNING
        self.trials.insert_trial_docs([doc])
        self.trials.refresh()
        self._tids[trial_id] = doc["tid"]
        return flatten(self.space, space_eval(self.hp_space, spec_from_misc(doc["misc"])))

    def tell(self, trial_id: str, outcome: Outcome) -> None:
        tid = self._tids.pop(trial_id, None)
        if tid is None or tid < 0:  # unknown, repeated, or the empty space
            return
        for doc in self.trials._dynamic_trials:
            if doc["tid"] == tid:
                if outcome.ok:
                    doc["result"] = {"status": STATUS_OK, "loss": self.loss(float(outcome.value))}
                else:
                    doc["result"] = {"status": STATUS_FAIL}
                doc["state"] = JOB_STATE_DONE
                break
        self._seen[tid] = seen(outcome, self.loss)
        self.trials.refresh()

    def _rung_losses(self) -> None:
        """Once any trial reported epochs, every told trial's loss is its loss at the rung
        modelled (module docs); a trial with no usable score stays a failure."""
        if not any(r.has_epochs for r in self._seen.values()):
            return
        tids = list(self._seen)
        records = [self._seen[t] for t in tids]
        level = choose_level(records, MIN_RUNG_POINTS)
        losses = dict(zip(tids, losses_at(records, level)))
        for doc in self.trials._dynamic_trials:
            if doc["tid"] in losses:
                loss = losses[doc["tid"]]
                doc["result"] = (
                    {"status": STATUS_FAIL} if loss is None else {"status": STATUS_OK, "loss": loss}
                )

    def state_dict(self) -> dict[str, Any]:
        # Trials pickles (fmin's own trials_save_file relies on that); copy so later asks do
        # not change a state already handed out
        return {
            **super().state_dict(),
            "trials": copy.deepcopy(self.trials),
            "tids": dict(self._tids),
            "seen": {t: (r.reached, r.losses) for t, r in self._seen.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.trials = copy.deepcopy(state["trials"])
        self._tids = dict(state["tids"])
        self._seen = {t: Seen(*r) for t, r in state.get("seen", {}).items()}
