"""The autopilot: the default run when the user gives a table, a target and a time budget.

Plan (:mod:`.budget`): the budget counts from the call; big tables are searched on a subsample,
small ones with more folds; each trial is capped; time is kept back for the refit.
Search (:mod:`.strategy`): a portfolio of known-good configurations (:mod:`.portfolio`) first,
then a cheap local search around the best ones mixed with model-weighted random exploration,
one trial per CPU on the warm local pool (on a cluster: Ray Tune). Finish (:mod:`.ensemble`): a greedy ensemble of the
best trials from their out-of-fold predictions when it beats the best single one, refit on all
training rows if the time left allows.
"""

from .budget import Plan, make_plan
from .ensemble import EnsembleClassifier, EnsembleRegressor, greedy_ensemble
from .portfolio import AUTOPILOT_MODEL_KINDS, autopilot_models, portfolio
from .run import AutopilotSearch, autopilot_config
from .strategy import PortfolioStrategy, portfolio_point

__all__ = [
    "AUTOPILOT_MODEL_KINDS",
    "AutopilotSearch",
    "EnsembleClassifier",
    "EnsembleRegressor",
    "Plan",
    "PortfolioStrategy",
    "autopilot_config",
    "autopilot_models",
    "greedy_ensemble",
    "make_plan",
    "portfolio",
    "portfolio_point",
]
