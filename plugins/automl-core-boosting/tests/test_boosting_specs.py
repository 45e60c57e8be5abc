"""The three specs and their estimators, without Ray: conformance, regularizers, early stopping
on each fit's own rows, threads, devices, labels, weights, pickling, light imports."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from automl_core.autopilot.portfolio import check_portfolio
from automl_core.config import ConfigError, parse_config
from automl_core.plugins import get_registry
from automl_core.testing import check_spec
from sklearn.datasets import make_classification, make_regression

from automl_core_boosting import BOOSTING_MODELS, CatBoostSpec, LightGBMSpec, XGBoostSpec
from automl_core_boosting.estimators import MIN_STOP_ROWS, stop_split

TASKS = ["classification", "regression"]
SPECS = {cls.model_fields["kind"].default: cls for cls in BOOSTING_MODELS}


def _reg(kind: str, strength: float):
    return get_registry().get("regularizer", kind)(strength=strength)


@pytest.mark.parametrize("cls", BOOSTING_MODELS, ids=lambda c: c.__name__)
def test_conformance_kit_passes(cls):
    check_spec(cls())
    for task in TASKS:
        check_spec(cls.default_search(task))
    check_portfolio(cls)


def test_the_registry_has_the_three_kinds_from_this_distribution():
    reg = get_registry()
    for kind, cls in SPECS.items():
        assert reg.get("model", kind) is cls
        assert reg.provider("model", kind).dist == "automl-core-boosting"
        assert cls.tasks == {"classification", "regression"}


def test_registering_and_building_import_no_boosting_library():
    code = (
        "import sys\n"
        "from automl_core.plugins import get_registry\n"
        "reg = get_registry()\n"
        "for k in ('lightgbm', 'xgboost', 'catboost'):\n"
        "    reg.get('model', k)().build('classification', [], seed=0)\n"
        "heavy = {'lightgbm', 'xgboost', 'catboost'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_l1_and_l2_map_onto_each_librarys_own_penalties():
    X, y = make_classification(120, 5, random_state=0)
    l1, l2 = _reg("l1", 0.5), _reg("l2", 2.0)
    lgb = LightGBMSpec(n_estimators=5).build("classification", [l1, l2], seed=0).fit(X, y)
    assert lgb.model_.get_params()["reg_alpha"] == 0.5
    assert lgb.model_.get_params()["reg_lambda"] == 2.0
    xgb = XGBoostSpec(n_estimators=5).build("classification", [l1, l2], seed=0).fit(X, y)
    assert xgb.model_.get_params()["reg_alpha"] == 0.5
    assert xgb.model_.get_params()["reg_lambda"] == 2.0
    cat = CatBoostSpec(n_estimators=5).build("classification", [l2], seed=0).fit(X, y)
    assert cat.model_.get_params()["l2_leaf_reg"] == 2.0
    # without a regularizer the spec's own fields hold
    own = XGBoostSpec(n_estimators=5, reg_lambda=0.3).build("classification", [], seed=0)
    assert own.fit(X, y).model_.get_params()["reg_lambda"] == 0.3


def test_catboost_has_no_l1_and_says_so():
    with pytest.raises(ConfigError, match="'catboost' cannot take regularizer 'l1'"):
        parse_config(
            {"target": "y", "models": [{"kind": "catboost", "regularizers": [{"kind": "l1"}]}]}
        )


def test_stop_rows_come_from_the_fit_rows_stratified_and_every_class_stays():
    y = np.array([0] * 300 + [1] * 60 + [2] * 1)
    fit, stop = stop_split(y, 0.1, seed=0, classification=True)
    assert len(np.intersect1d(fit, stop)) == 0 and len(fit) + len(stop) == len(y)
    assert set(np.unique(y[fit])) == {0, 1, 2}  # the single row of class 2 is learned
    assert np.bincount(y[stop]).tolist() == [30, 6]  # each class gives its tenth
    assert stop_split(np.zeros(10 * MIN_STOP_ROWS - 10), 0.1, 0, False) is None


@pytest.mark.parametrize("kind", list(SPECS))
def test_early_stopping_stops_and_refits_on_all_the_rows_it_was_given(kind):
    # one fit = one trial's training fold: the held-out rows come from these rows only
    X, y = make_regression(600, 8, noise=30.0, random_state=0)
    spec = SPECS[kind](n_estimators=1000, learning_rate=0.3, early_stopping_rounds=10)
    est = spec.build("regression", [], seed=0).fit(X, y)
    assert est.stopped_at_ < 1000  # the held-out loss stopped improving long before
    # 600 rows: fitted again on all of them, for the stopped rounds scaled by 600 / 540
    assert est.n_rounds_ == max(1, round(est.stopped_at_ * 600 / 540))
    again = spec.build("regression", [], seed=0).fit(X, y)
    assert np.array_equal(est.predict(X[:20]), again.predict(X[:20]))  # same seed, same model


def test_a_small_table_gets_every_round_on_every_row():
    X, y = make_classification(100, 4, random_state=0)
    est = LightGBMSpec(n_estimators=40).build("classification", [], seed=0).fit(X, y)
    assert est.stopped_at_ is None and est.n_rounds_ == 40
    assert est.model_.booster_.num_trees() == 40


@pytest.mark.parametrize("kind", list(SPECS))
def test_threads_follow_the_trials_cpus(kind):
    X, y = make_classification(80, 4, random_state=0)
    est = SPECS[kind](n_estimators=3).build("classification", [], seed=0, n_jobs=2).fit(X, y)
    params = est.model_.get_params()
    assert params.get("n_jobs", params.get("thread_count")) == 2


@pytest.mark.parametrize("kind", list(SPECS))
def test_a_fit_past_the_trials_time_limit_ends_within_its_grace(kind):
    """The limit reaches every library's loop: each library's callback asks it to stop at the
    next round (no exception is raised inside the library). A fit that ignored the limit would
    still run here minutes later (the thread stays alive)."""
    import threading

    from automl_core.trials.worker import TrialContext, run_objective

    X, y = make_classification(4000, 20, random_state=0)
    spec = SPECS[kind](n_estimators=100_000, early_stopping_rounds=0)
    depth = {"catboost": "depth", "xgboost": "max_depth"}.get(kind)
    if depth:
        spec = spec.model_copy(update={depth: 8})
    est = spec.build("classification", [], seed=0)
    out: dict = {}

    def trial():
        out["row"] = run_objective(
            lambda params, ctx: {"score": float(est.fit(X, y).score(X, y))},
            {}, TrialContext(0, 0, 1, 0.0), timeout_s=1.0, exit_when_stuck=False,
        )  # fmt: skip

    t0 = time.perf_counter()
    thread = threading.Thread(target=trial, daemon=True)
    thread.start()
    thread.join(timeout=3.05)  # the limit, then its grace (2 s + 5% of the limit)
    assert not thread.is_alive(), f"{kind}'s fit ran on past its limit and grace"
    _, _, status, error = out["row"]
    assert status == "timeout" and "stuck" not in error, error
    assert time.perf_counter() - t0 < 3.05


@pytest.mark.parametrize("kind", list(SPECS))
def test_a_time_limit_never_lands_inside_a_library_call(kind):
    """300 trials whose limit (1-10 ms) falls at every point of small fits. Before every fit and
    prediction ran inside ``stoppable_call``, the limit's exception landed inside LightGBM's
    and XGBoost's ctypes callbacks and handle bookkeeping, and the process died of heap
    corruption within seconds (SIGSEGV, SIGABRT; three runs of three each), or trials read
    "failed". In a child process, so that such a death fails this test instead of the session."""
    child = Path(__file__).with_name("_limits_stress.py")
    out = subprocess.run(
        [sys.executable, str(child), kind, "300"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, f"the process died ({out.returncode}): {out.stderr[-2000:]}"
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"timeout": 300}, out.stderr[-2000:]
    assert "Exception ignored" not in out.stderr, out.stderr[-2000:]


def test_auto_device_stays_on_the_cpu_without_a_usable_gpu():
    X, y = make_classification(80, 4, random_state=0)
    est = XGBoostSpec(n_estimators=3).build("classification", [], seed=0)
    est.bind_resources(1, 1.0)  # a trial given a GPU; the xgboost-cpu build cannot use it
    from xgboost import build_info

    assert est.fit(X, y).model_.get_params()["device"] == "cpu"
    if not build_info().get("USE_CUDA"):
        gpu = XGBoostSpec(n_estimators=3, device="gpu").build("classification", [], seed=0)
        with pytest.raises(RuntimeError, match="cannot train on a GPU here"):
            gpu.fit(X, y)


@pytest.mark.parametrize("kind", list(SPECS))
def test_text_labels_weights_and_pickling(kind, mixed_table):
    X, y = mixed_table
    Xn = pd.get_dummies(X.fillna(0.0), dtype=float)
    w = np.where(y == "yes", 2.0, 1.0)
    est = SPECS[kind](n_estimators=20).build("classification", [], seed=0)
    est.fit(Xn, y, sample_weight=w)
    assert list(est.classes_) == ["no", "yes"]
    proba = est.predict_proba(Xn)
    assert proba.shape == (len(Xn), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(est.predict(Xn)) <= {"no", "yes"}
    back = pickle.loads(pickle.dumps(est))
    assert np.array_equal(back.predict(Xn), est.predict(Xn))


@pytest.mark.parametrize("kind", list(SPECS))
def test_more_than_two_classes(kind):
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, random_state=0)
    est = SPECS[kind](n_estimators=30).build("classification", [], seed=0).fit(X, y + 5)
    assert est.predict_proba(X).shape == (400, 3)
    assert (est.predict(X) == y + 5).mean() > 0.8
