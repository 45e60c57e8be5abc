"""The autopilot (issue 8): portfolio, plan, strategy, ensemble, cleaning, and the budget kept."""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pandas as pd
import pytest

import automl_core as ac
from automl_core.autopilot import (
    PortfolioStrategy,
    autopilot_config,
    autopilot_models,
    greedy_ensemble,
    make_plan,
    portfolio,
    portfolio_point,
)
from automl_core.autopilot.budget import refit_estimate, refit_reserve
from automl_core.autopilot.cleaning import autopilot_cleaners
from automl_core.autopilot.objective import decode_oof, encode_oof
from automl_core.builtins.models_extra import EXTRA_MODELS
from automl_core.config import parse_config
from automl_core.plugins import get_registry
from automl_core.search.config_space import build_space
from automl_core.search.strategies.base import Outcome
from automl_core.testing import check_spec, check_strategy
from automl_core.trials.threads import is_trial_thread

TASKS = ["classification", "regression"]


def _space(task: str):
    cfg = parse_config({"target": "y", "task": task, "models": autopilot_models(task)})
    return build_space(cfg)


@pytest.mark.parametrize("cls", EXTRA_MODELS, ids=lambda c: c.__name__)
def test_extra_models_conform(cls):
    check_spec(cls())
    for task in TASKS:
        if task in cls.tasks:
            check_spec(cls.default_search(task))


@pytest.mark.parametrize("task", TASKS)
def test_portfolio_configs_are_valid_specs(task):
    registry = get_registry()
    for kind, values in portfolio(task, n_features=12):
        fields = {k: v for k, v in values.items() if "." not in k}
        spec = registry.get("model", kind)(**fields)  # validates every value
        assert spec.is_resolved() and task in spec.tasks
        assert type(spec).model_validate(spec.model_dump(mode="json")) == spec


@pytest.mark.parametrize("task", TASKS)
def test_portfolio_points_sit_in_the_space_unchanged(task):
    space = _space(task)
    for kind, values in portfolio(task, n_features=12):
        point = portfolio_point(space, kind, values)  # check_point inside
        for field, v in values.items():
            got = point[f"{kind}.{field}"]
            assert got == (v if isinstance(v, str) else pytest.approx(v, rel=1e-6)), (kind, field)


def test_the_plan_asks_known_good_configs_first():
    space = _space("classification")
    starts = [portfolio_point(space, k, v) for k, v in portfolio("classification", 12)]
    strat = PortfolioStrategy(space, "max", seed=0, starts=starts)
    asked = []
    for i in range(len(starts) + 15):
        p = strat.ask(str(i))
        space.check_point(p)
        asked.append(p)
        strat.tell(str(i), Outcome(float(p["model"] == "svc") + 0.01 * i))
    assert asked[: len(starts)] == starts
    assert starts[0]["model"] == "hist_gradient_boosting"
    # after the portfolio the search leans on the best model (svc here) but still explores
    later = [p["model"] for p in asked[len(starts) :]]
    assert later.count("svc") >= len(later) // 3
    assert len({tuple(sorted(p.items())) for p in asked}) == len(asked)  # no repeats


def test_portfolio_strategy_conforms():
    check_strategy(lambda space, seed: PortfolioStrategy(space, "max", seed))


def test_plan_subsamples_big_tables_and_keeps_time_back():
    small = make_plan(300, 10, 30)
    assert small.search_rows == 300 and small.folds == 5
    big = make_plan(1_000_000, 50, 30)
    assert big.search_rows < 20_000 and big.folds == 3
    assert big.reserve_s > small.reserve_s >= 1.5
    assert big.trial_timeout_s <= 0.25 * 30 + 1e-9
    assert refit_estimate(3.0, 3, 900, 900) == pytest.approx(1.5)
    # gradient boosting grows slower than linearly in the rows; the reserve has a floor
    assert refit_estimate(3.0, 3, 900, 9000, "hist_gradient_boosting") < refit_estimate(
        3.0, 3, 900, 9000
    )
    assert refit_reserve(big, 0.0, 900, 900) == big.min_reserve_s
    assert refit_reserve(big, 30.0, 900, 9000) > 30.0


def test_a_running_trial_ends_at_its_cap_or_when_the_search_stops(tmp_path):
    from automl_core.trials.limits import TrialLimits, TrialTimeout

    def _alarm(timeout_s, stop_path):  # the limits a local-pool trial runs under
        limits = TrialLimits(timeout_s, None, stop_check=lambda: os.path.exists(stop_path))

        class _Armed:
            def __enter__(self):
                limits.arm()

            def __exit__(self, *exc):
                limits.disarm()
                return False

        return _Armed()

    def busy(seconds, stop_after=None):
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            if stop_after is not None and time.monotonic() - t0 > stop_after:
                stop.touch()  # the driver's stop file
            sum(range(1000))

    stop = tmp_path / "run.stop"
    with _alarm(5.0, str(stop)):
        busy(0.6)  # polled, but neither the cap nor the stop file: runs to the end
    t0 = time.monotonic()
    with pytest.raises(TrialTimeout), _alarm(0.5, str(stop)):
        busy(5.0)
    assert time.monotonic() - t0 < 2.0
    t0 = time.monotonic()
    with pytest.raises(TrialTimeout), _alarm(30.0, str(stop)):
        busy(5.0, stop_after=0.3)
    assert time.monotonic() - t0 < 2.0


def test_killing_the_pool_does_not_wait_for_a_busy_worker():
    from automl_core.trials.local_pool import executor, kill_workers

    pool = executor(1)
    busy = pool.submit(time.sleep, 30)
    time.sleep(0.5)
    t0 = time.perf_counter()
    kill_workers()
    assert time.perf_counter() - t0 < 5.0
    assert executor(1).submit(abs, -3).result(timeout=60) == 3  # a fresh pool takes over
    del busy


def test_greedy_ensemble_beats_single_only_when_it_can():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    classes = np.array([0, 1])

    def noisy(flip):  # one-hot predictions, each right on a different 75% of the rows
        wrong = rng.random(len(y)) < flip
        lab = np.where(wrong, 1 - y, y)
        return np.eye(2)[lab] * 0.6 + 0.2

    preds = [noisy(0.25) for _ in range(5)]
    weights, score = greedy_ensemble(preds, y, "accuracy", classes)
    single = float(np.mean(np.argmax(preds[0], 1) == y))
    assert score > single + 0.05 and len(weights) >= 3
    # the same model five times: nothing to gain, the ensemble is the single model
    weights, score = greedy_ensemble([preds[0]] * 5, y, "accuracy", classes)
    assert weights == {0: 1} and score == pytest.approx(single)
    reg = greedy_ensemble([y + rng.normal(0, 1, len(y)) for _ in range(4)], y, "r2")
    assert len(reg[0]) >= 2


def test_only_the_best_trials_keep_their_out_of_fold_predictions():
    """The ensemble reads the predictions of the ENSEMBLE_CANDIDATES best ok trials: the
    others are dropped as trials finish (a long run's memory stays flat), ties kept."""
    from automl_core.autopilot.objective import OOF_KEY, BestOOF
    from automl_core.trials.records import TrialRecord

    rng = np.random.default_rng(0)
    keep = BestOOF(3, "max")
    recs = []
    for i, score in enumerate([0.5, 0.9, 0.7, 0.9, 0.6, 0.95, 0.7, 0.7, 0.1]):
        rec = TrialRecord(
            i, {}, status="ok", score=score, metrics={OOF_KEY: encode_oof(rng.random((4, 2)))}
        )
        recs.append(rec)
        keep(rec)
    failed = TrialRecord(9, {}, status="timeout", metrics={OOF_KEY: "1x1:AAAAAA=="})
    keep(failed)
    with_oof = sorted(r.score for r in recs if OOF_KEY in r.metrics)
    assert with_oof == [0.9, 0.9, 0.95] and OOF_KEY not in failed.metrics
    # a loss (mode "min") with ties at the cut: a top 3 keeps 1, 2, 2, 2 (the 3rd is tied)
    keep_min = BestOOF(3, "min")
    losses = [TrialRecord(i, {}, status="ok", score=v, metrics={OOF_KEY: "x"}) for i, v in
              enumerate([3, 1, 2, 2, 2, 5])]  # fmt: skip
    for r in losses:
        keep_min(r)
    assert [r.score for r in losses if OOF_KEY in r.metrics] == [1, 2, 2, 2]


def test_oof_round_trips():
    a = np.arange(12, dtype=float).reshape(4, 3) / 7
    assert np.allclose(decode_oof(encode_oof(a)), a, atol=1e-6)


def test_autopilot_cleaning_keeps_repeated_rows_and_skips_class_weight_for_accuracy():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "a": rng.choice(["x", "y"], 400),
            "b": rng.choice(["u", "v"], 400),
            "y": np.where(rng.random(400) < 0.1, "rare", "common"),
        }
    )
    kinds = [c["kind"] for c in autopilot_cleaners(df, "y", None, None)]
    assert "drop_duplicates" not in kinds  # 400 rows, 8 distinct: the repeats are data
    assert "class_weight" not in kinds
    kinds = [c["kind"] for c in autopilot_cleaners(df, "y", None, "balanced_accuracy")]
    assert "class_weight" in kinds


def test_autopilot_config_validates():
    cfg = parse_config({"target": "target", "task": "classification"})
    cfg = autopilot_config(cfg)
    kinds = [m.kind for m in cfg.models]
    assert kinds[0] == "hist_gradient_boosting" and "knn" in kinds


def test_the_autopilot_keeps_the_models_the_user_named():
    """``run(models=[...], strategy="auto")``: the autopilot searches those models (by kind
    alone over their default ranges, the rest as written), and only their portfolio entries
    run first, clipped into the user's ranges."""
    from automl_core.autopilot.run import portfolio_starts

    named = {"target": "y", "task": "classification", "models": [{"kind": "svc"}]}
    ranged = {"kind": "random_forest", "max_depth": {"type": "int", "low": 2, "high": 4}}
    cfg = autopilot_config(parse_config({**named, "models": [{"kind": "svc"}, ranged]}))
    assert [m.kind for m in cfg.models] == ["svc", "random_forest"]
    space = build_space(cfg)
    starts = portfolio_starts(space, cfg, 12)
    wanted = [k for k, _ in portfolio("classification", 12) if k in ("svc", "random_forest")]
    assert [p["model"] for p in starts] == wanted and len(wanted) >= 2
    for p in starts:
        space.check_point(p)
        if p["model"] == "random_forest":
            assert 2 <= p["random_forest.max_depth"] <= 4
    # one model: no "model" dim, its entries still start the search
    one = autopilot_config(parse_config(named))
    assert [m.kind for m in one.models] == ["svc"]
    assert len(portfolio_starts(build_space(one), one, 12)) == wanted.count("svc") >= 1
    # any other model named alone: its own entries, and only those, start the search
    mlp = autopilot_config(parse_config({**named, "models": [{"kind": "mlp_sklearn"}]}))
    assert [m.kind for m in mlp.models] == ["mlp_sklearn"]
    mlp_starts = portfolio_starts(build_space(mlp), mlp, 12)
    assert (
        len(mlp_starts) == sum(k == "mlp_sklearn" for k, _ in portfolio("classification", 12)) >= 1
    )


@pytest.fixture(scope="module")
def cancer_small():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame


def test_default_run_keeps_the_budget_and_beats_the_baseline(cancer_small):
    budget = 8.0
    t0 = time.perf_counter()
    res = ac.run(
        cancer_small, target="target", time_budget_s=budget, test_size=0.25, show_progress=False
    )
    wall = time.perf_counter() - t0
    # the refit happens inside the budget; slack for a loaded 2-core machine's scheduling
    assert wall < budget + 3.0, res.info["autopilot"]
    assert "autopilot" in res.info
    majority = res.test_predictions["y_true"].value_counts(normalize=True).max()
    assert res.info["test_score"] > majority + 0.2
    assert set(res.table["status"]) <= {"ok", "cancelled", "timeout"}


def test_the_default_run_keeps_its_trials_in_this_process_unless_memory_is_capped(cancer_small):
    """On one machine the trials run on threads of this process (one copy of the imports and
    the table: the memory figures in benchmarks/RESULTS.md, issue 16); a per-trial memory cap
    needs a process per trial, so ``memory_mb`` takes the warm pool."""
    import threading

    before = {t.ident for t in threading.enumerate()}
    res = ac.run(cancer_small, target="target", time_budget_s=5, show_progress=False)
    auto = res.info["autopilot"]
    assert auto["executor"] == "threads" and auto["trials"] >= 2, auto
    assert set(res.table["status"]) <= {"ok", "cancelled", "timeout"}
    # no trial thread outlives the run (each ended by itself or at the stop)
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not [t for t in left if is_trial_thread(t)], left
    capped = ac.run(
        cancer_small,
        target="target",
        config={"resources": {"memory_mb": 2000}},
        time_budget_s=5,
        show_progress=False,
    )
    assert capped.info["autopilot"]["executor"] == "local"
    assert capped.info["autopilot"]["trials"] >= 2


def test_strategy_auto_with_models_searches_only_those(cancer_small):
    res = ac.run(
        cancer_small,
        target="target",
        strategy="auto",
        models=["logistic_regression", "knn"],
        time_budget_s=6,
        show_progress=False,
    )
    assert res.info["autopilot"]["trials"] >= 2
    assert [m.kind for m in res.config.models] == ["logistic_regression", "knn"]
    assert set(res.table["param.model"]) <= {"logistic_regression", "knn"}
    assert res.best.params["model"] in ("logistic_regression", "knn")


def test_only_a_time_budget_or_strategy_auto_picks_the_autopilot():
    from automl_core.data.prepare import _wants_autopilot

    assert _wants_autopilot({}, None, None, None, 60)  # run(df, target="y", time_budget_s=60)
    assert _wants_autopilot({}, "auto", None, 20, None)
    assert not _wants_autopilot({}, None, None, 20, None)  # trials: the classic search
    assert not _wants_autopilot({}, None, ["svc"], None, 60)
    assert not _wants_autopilot({}, "random", None, None, 60)
    assert not _wants_autopilot({"models": [{"kind": "svc"}]}, None, None, None, 60)
    # a config (file) that says so, whatever its budget
    assert _wants_autopilot({"strategy": "auto"}, None, None, 20, None)
    assert _wants_autopilot({"autopilot": True}, None, None, 20, None)
    assert not _wants_autopilot({"autopilot": True}, "random", None, 20, None)  # the call wins


def test_strategy_auto_in_a_file_runs_the_autopilot_with_progress(cancer_small, tmp_path, capsys):
    from automl_core.config import dump_config, load_config

    cancer_small.to_csv(tmp_path / "cancer.csv", index=False)
    path = tmp_path / "exp.toml"
    path.write_text(
        'data = "cancer.csv"\ntarget = "target"\nstrategy = "auto"\n[budget]\ntime_s = 6\n'
    )
    cfg = load_config(path)
    assert cfg.autopilot
    assert load_config_text(dump_config(cfg, "toml"), tmp_path).autopilot  # round trip
    res = ac.run(tmp_path / "cancer.csv", config=cfg, show_progress=True)
    assert "autopilot" in res.info
    assert res.config.autopilot
    # the autopilot's trials show up as the runner's do: one line per trial (at most every
    # 2 s) and a last line, on stderr
    lines = [x for x in capsys.readouterr().err.splitlines() if "best accuracy" in x]
    assert lines and re.match(r"\[\s*\d+\] best accuracy 0\.\d+ \(trial \d+\)", lines[-1])


def load_config_text(text: str, where):
    from automl_core.config import load_config

    p = where / "again.toml"
    p.write_text(text)
    return load_config(p)


def test_budget_holds_when_the_refit_is_expensive():
    # 60 000 rows searched on a few thousand: a forest's refit on all rows would take longer
    # than the budget. The search stops early enough for its best trial's refit (or the refit
    # takes fewer rows), so the whole call ends within the budget + 10%.
    rng = np.random.default_rng(0)
    n, d = 60_000, 12
    X = rng.normal(size=(n, d))
    y = np.sin(2 * X[:, 0]) * X[:, 1] + (X[:, 2] > 0) * X[:, 3] + 0.3 * rng.normal(size=n)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)]).assign(y=y)
    budget = 15.0
    t0 = time.perf_counter()
    res = ac.run(df, target="y", time_budget_s=budget, show_progress=False)
    wall = time.perf_counter() - t0
    auto = res.info["autopilot"]
    assert wall <= 1.1 * budget, auto
    assert auto["search_rows"] < n and res.best_pipeline.predict(
        df.drop(columns="y").head(5)
    ).shape == (5,)
