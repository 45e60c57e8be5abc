"""How the autopilot spends a time budget: rows, folds, per-trial cap and the time kept back.

The budget counts from the moment ``run`` is called (cleaning, Ray's start-up, the search, the
refit and the ensemble all come out of it). The search gets what is left minus a reserve for the
refit; each trial is capped so one slow fit cannot eat the budget; big tables are searched on a
stratified subsample (cheap evaluations rank configurations nearly as well as full ones); small
tables get more folds, because there a single split's noise is larger than the gaps between
good configurations.

The reserve is not fixed: once a trial has finished, the search stops early enough for the refit
of the best trial so far (:func:`refit_reserve`: its fold fit time scaled from the fold's rows to
all rows, times a safety factor for a machine busier at refit time than during the trial), and
at least :attr:`Plan.min_reserve_s`. Before any trial has finished, :attr:`Plan.reserve_s` holds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = [
    "FIT_EXPONENT",
    "Plan",
    "REFIT_SAFETY",
    "make_plan",
    "refit_estimate",
    "refit_reserve",
    "refit_seconds",
]

#: cells (rows x columns) searched per second of budget: ~9000 rows of 30 columns at 30 s
CELLS_PER_BUDGET_S = 9_000
MIN_SEARCH_ROWS = 2_000
#: at most this many rows get 5 folds; more get 3
FIVE_FOLD_ROWS = 1_000
#: the refit estimate times this is kept back: the load may rise between a trial and the refit
#: (two other processes more on 2 cores halve a fit's share), and trees grow a bit faster than
#: linearly in the rows
REFIT_SAFETY = 1.5
#: fit time ~ rows ** exponent, by model kind (others: 1). Measured on one core, 6 000 -> 40 000
#: rows of diamonds: gradient boosting 3.4x (fixed per-round costs), forests 6.9x (linear);
#: kernel SVMs are quadratic
FIT_EXPONENT = {"hist_gradient_boosting": 0.8, "svc": 2.0, "svr": 2.0}


@dataclass(frozen=True)
class Plan:
    """The decisions behind one autopilot run (reported in ``Results.info["autopilot"]``)."""

    budget_s: float
    search_rows: int  # rows the search cross-validates on (all training rows, or a subsample)
    folds: int
    trial_timeout_s: float
    reserve_s: float  # kept back from the search for the refit before any trial has finished
    min_reserve_s: float  # the least kept back (ensemble choice, wrap-up), whatever the best

    def as_dict(self) -> dict:
        return asdict(self)


def make_plan(n_rows: int, n_cols: int, budget_s: float) -> Plan:
    """The plan for a training table of ``n_rows`` x ``n_cols`` and ``budget_s`` seconds."""
    cap = max(MIN_SEARCH_ROWS, int(CELLS_PER_BUDGET_S * budget_s / max(n_cols, 30)))
    rows = min(n_rows, cap)
    folds = 5 if rows <= FIVE_FOLD_ROWS else 3
    # the refit of the best (or of an ensemble's members) on all rows: a tenth of the budget
    # on small budgets, growing with the table's share of the search's rows
    reserve = max(1.5, 0.08 * budget_s) * min(3.0, max(1.0, n_rows / max(rows, 1)) ** 0.5)
    # a trial may take at most a quarter of the budget: a slow config cannot starve the rest
    timeout = max(3.0, 0.25 * budget_s)
    return Plan(budget_s, rows, folds, timeout, reserve, max(1.5, 0.03 * budget_s))


def refit_estimate(
    fit_time_s: float, folds: int, search_rows: int, n_rows: int, model: str | None = None
) -> float:
    """Seconds to fit once on ``n_rows`` rows, from a trial's summed fold fit time.

    Each fold fitted ``(folds-1)/folds`` of the search rows; fit time is taken as growing like
    ``rows ** FIT_EXPONENT[model]`` (linear for models not listed), never less than a fold's.
    """
    per_fold = fit_time_s / max(folds, 1)
    fold_rows = search_rows * (folds - 1) / folds
    ratio = max(1.0, n_rows / max(fold_rows, 1.0))
    return per_fold * ratio ** FIT_EXPONENT.get(model or "", 1.0)


def refit_seconds(
    plan: Plan, fit_time_s: float, search_rows: int, n_rows: int, model: str | None = None
) -> float:
    """Seconds to plan for refitting a trial (a ``model``) that took ``fit_time_s`` (summed over
    its folds, fitted on ``search_rows``) on ``n_rows``: the estimate times the safety factor."""
    return REFIT_SAFETY * refit_estimate(fit_time_s, plan.folds, search_rows, n_rows, model)


def refit_reserve(
    plan: Plan, fit_time_s: float, search_rows: int, n_rows: int, model: str | None = None
) -> float:
    """Seconds the search keeps back when its best trial so far is that trial: its
    :func:`refit_seconds` plus the least reserve."""
    return refit_seconds(plan, fit_time_s, search_rows, n_rows, model) + plan.min_reserve_s
