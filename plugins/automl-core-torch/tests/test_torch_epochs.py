"""Epoch-by-epoch cross-validation (``automl_core.evaluation.epochs``) and the objective's use of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from automl_core.data.cleaning import NumericGuard
from automl_core.evaluation.cv import cross_validate, make_folds
from automl_core.evaluation.epochs import cross_validate_epochs, has_epoch_protocol
from automl_core.evaluation.objective import PipelineObjective
from automl_core.evaluation.pipeline import AutoPipeline
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression

from automl_core_torch import CNNNet, MLPNet, TorchClassifier, TorchRegressor


class FakeContext:
    """What a trial hands the objective, without Ray: records the reports."""

    def __init__(self, cpus=1, gpus=0):
        self.trial_id, self.seed, self.cpus, self.gpus = 0, 0, cpus, gpus
        self.reports: list[dict] = []
        self.lasts: list[bool] = []  # the reports' ``last`` flags (training over with this one)

    def report(self, epoch=None, last=False, **metrics):
        self.reports.append({"epoch": epoch, **metrics})
        self.lasts.append(last)


class RowSpy(TransformerMixin, BaseEstimator):
    """Records which rows it was fitted on (to check no validation row leaks into fit)."""

    seen: list = []

    def fit(self, X, y=None):
        RowSpy.seen.append(set(X.index))
        return self

    def transform(self, X):
        return X


def _pipe(est, *steps):
    return AutoPipeline([*steps, ("guard", NumericGuard()), ("model", est)])


def test_has_epoch_protocol():
    assert has_epoch_protocol(TorchClassifier()) and has_epoch_protocol(TorchRegressor())
    assert not has_epoch_protocol(LogisticRegression())


def test_reports_fold_means_every_epoch_in_lockstep(digits_frame):
    X, y = digits_frame
    X, y = X.iloc[:240], y.iloc[:240]
    folds = make_folds(y, "classification", 3, True, None, 0)
    ctx = FakeContext()
    RowSpy.seen = []
    est = TorchClassifier(CNNNet(filters=4, dense_units=0), epochs=3, batch_size=32, n_jobs=1)
    out = cross_validate_epochs(
        _pipe(est, ("spy", RowSpy())), X, y, folds, "accuracy", ["f1_macro"], ctx, train_score=True
    )
    assert [r["epoch"] for r in ctx.reports] == [1, 2, 3]
    assert ctx.lasts == [False, False, True]  # a scheduler stopping at the last leaves it "ok"
    for r in ctx.reports:
        assert set(r) == {
            "epoch", "score", "train_loss", "val_loss", "train_accuracy", "val_accuracy"
        }  # fmt: skip
        assert r["score"] == r["val_accuracy"]
    assert set(out) >= {"score", "score_std", "fold_scores", "fit_time_s", "train_score"}
    assert "metric.f1_macro" in out and out["epochs_run"] == 3
    assert out["score"] == pytest.approx(ctx.reports[-1]["score"])
    assert out["score"] == pytest.approx(np.mean(out["fold_scores"]))
    # cleaning steps were fitted on each fold's training rows only
    for seen, (tr, va) in zip(RowSpy.seen, folds):
        assert seen == set(X.index[tr]) and not seen & set(X.index[va])


def test_same_final_score_as_plain_cross_validation(small_table):
    X, y = small_table
    folds = make_folds(y, "classification", 3, True, None, 0)
    pipe = _pipe(TorchClassifier(MLPNet(units=8), epochs=3, batch_size=32, n_jobs=1))
    epoch_wise = cross_validate_epochs(pipe, X, y, folds, "accuracy")
    plain = cross_validate(pipe, X, y, folds, "accuracy")
    assert epoch_wise["fold_scores"] == pytest.approx(plain["fold_scores"])


def test_early_stopped_folds_keep_counting(small_table):
    X, y = small_table
    y = pd.Series(np.random.default_rng(1).permutation(y.to_numpy()), index=y.index)  # noise
    folds = make_folds(y, "classification", 3, True, None, 0)
    est = TorchClassifier(
        MLPNet(units=64), epochs=100, patience=2, learning_rate=3e-2, batch_size=16, n_jobs=1
    )
    ctx = FakeContext()
    out = cross_validate_epochs(_pipe(est), X, y, folds, "accuracy", ctx=ctx)
    assert len(ctx.reports) < 100
    assert out["epochs_run"] <= len(ctx.reports)
    # the last report holds every fold's final values, stopped folds included
    assert out["score"] == pytest.approx(ctx.reports[-1]["score"])


def test_regression_reports_losses_without_accuracy():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=list("abc"))
    y = pd.Series(3 * X["a"] + rng.normal(scale=0.1, size=90))
    folds = make_folds(y, "regression", 3, True, None, 0)
    ctx = FakeContext()
    est = TorchRegressor(MLPNet(units=8), epochs=2, batch_size=16, n_jobs=1)
    out = cross_validate_epochs(_pipe(est), X, y, folds, "r2", ctx=ctx)
    assert set(ctx.reports[0]) == {"epoch", "score", "train_loss", "val_loss"}
    assert ctx.lasts == [False, True]
    assert np.isfinite(out["score"])


def test_objective_uses_epochs_for_networks_only(small_table):
    X, y = small_table
    folds = make_folds(y, "classification", 2, True, None, 0)
    # svc with a value of its own: named alone it would be searched over its default ranges
    for model, reports in [
        ({"kind": "mlp", "epochs": 2, "units": 4}, 2),
        ({"kind": "svc", "C": 2.0}, 0),
    ]:
        cfg = {
            "target": "y",
            "task": "classification",
            "metric": "accuracy",
            "models": [model],
            "cleaners": [],
        }
        ctx = FakeContext()
        out = PipelineObjective(cfg, X, y, folds, "classification")({}, ctx)
        assert len(ctx.reports) == reports
        assert 0 <= out["score"] <= 1 and "fold_scores" not in out


class BindSpy(TorchClassifier):
    bound: list = []

    def bind_resources(self, cpus, gpus):
        BindSpy.bound.append((cpus, gpus))
        super().bind_resources(cpus, gpus)


def test_each_fold_is_told_the_trial_resources(small_table):
    X, y = small_table
    folds = make_folds(y, "classification", 2, True, None, 0)
    BindSpy.bound = []
    pipe = _pipe(BindSpy(MLPNet(units=4), epochs=1, device="auto", n_jobs=1))
    cross_validate_epochs(pipe, X, y, folds, "accuracy", ctx=FakeContext(cpus=1, gpus=0))
    assert BindSpy.bound == [(1, 0), (1, 0)]
