"""The estimators: fit/predict, inputs, the epoch protocol, regularizers, devices, pickling."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pytest
import torch
from torch import nn

from automl_core_torch import CNNNet, MLPNet, TorchClassifier, TorchRegressor
from automl_core_torch.training import make_optimizer

FAST = dict(epochs=4, batch_size=32, n_jobs=1)


def test_mlp_classifier(small_table):
    X, y = small_table
    est = TorchClassifier(MLPNet(units=16), learning_rate=1e-2, **FAST).fit(X, y)
    assert list(est.classes_) == ["no", "yes"]
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert set(est.predict(X)) <= {"no", "yes"}
    assert est.score(X, y) > 0.8
    # columns are matched by name at predict time
    assert (est.predict(X[["d", "c", "b", "a"]]) == est.predict(X)).all()
    with pytest.raises(ValueError, match="missing"):
        est.predict(X.drop(columns="a"))


def test_mlp_regressor():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = 1000 + 300 * X[:, 0] - 200 * X[:, 1]  # far from unit scale: the target is standardized
    est = TorchRegressor(MLPNet(units=32), learning_rate=1e-2, **{**FAST, "epochs": 30}).fit(X, y)
    assert est.score(X, y) > 0.9
    assert abs(est.predict(X).mean() - 1000) < 50
    assert est.evaluate(X, y)["loss"] == pytest.approx(np.mean((est.predict(X) - y) ** 2), rel=1e-4)


def test_cnn_reads_the_shape_from_pixel_columns(digits_frame):
    X, y = digits_frame
    X, y = X.iloc[:300], y.iloc[:300]
    est = TorchClassifier(CNNNet(filters=4, dense_units=0), **FAST).fit(X, y)
    assert est.input_shape_ == (1, 8, 8)
    shuffled = X[list(np.random.default_rng(0).permutation(X.columns))]
    assert (est.predict(shuffled) == est.predict(X)).all()
    # a column a cleaner dropped (constant in the training rows) reads as 0; the shape holds
    fitted = TorchClassifier(CNNNet(filters=4, dense_units=0), **FAST).fit(
        X.drop(columns="px_0_0_0"), y
    )
    assert fitted.input_shape_ == (1, 8, 8)


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 1), (6, 5, 3)])
def test_cnn_takes_arrays(shape):
    rng = np.random.default_rng(0)
    X = rng.random((40, *shape)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    est = TorchClassifier(CNNNet(conv_blocks=3, filters=4, dense_units=8), **FAST).fit(X, y)
    channels = shape[2] if len(shape) == 3 else 1
    assert est.input_shape_ == (channels, *shape[:2])
    assert est.predict(X).shape == (40,)
    flat = X.reshape(40, -1)
    net = CNNNet(filters=4, dense_units=0)
    est2 = TorchClassifier(net, image_shape=(*shape[:2], channels), **FAST).fit(flat, y)
    assert est2.input_shape_ == est.input_shape_


def test_cnn_refuses_a_mix_of_pixel_and_other_columns(digits_frame):
    X, y = digits_frame
    X = X.iloc[:50].assign(other=1.0)
    with pytest.raises(ValueError, match="only pixel columns"):
        TorchClassifier(CNNNet(filters=4), **FAST).fit(X, y.iloc[:50])


def test_epoch_protocol_leaves_a_usable_model_after_each_epoch(small_table):
    X, y = small_table
    est = TorchClassifier(MLPNet(units=8), **{**FAST, "epochs": 3})
    seen = []
    for stats in est.iter_epochs(X, y):
        seen.append(stats)
        assert est.predict(X).shape == (len(X),)
        assert set(stats) >= {"epoch", "train_loss", "train_accuracy", "last"}
    assert [s["epoch"] for s in seen] == [1, 2, 3]
    assert [s["last"] for s in seen] == [False, False, True]
    assert est.n_epochs_ == 3 and len(est.history_) == 3


def test_dropout_rate_is_in_the_modules():
    est = TorchClassifier(MLPNet(hidden_layers=2, units=8), dropout=0.3, **FAST)
    est.fit(np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2)
    drops = [m for m in est.module_.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == 2 and all(m.p == 0.3 for m in drops)
    cnn = CNNNet(conv_blocks=2, dense_units=8).build((1, 8, 8), 3, dropout=0.2)
    assert [m.p for m in cnn.modules() if isinstance(m, nn.Dropout)] == [0.2, 0.2, 0.2]
    assert not any(isinstance(m, nn.Dropout) for m in CNNNet().build((1, 8, 8), 3).modules())


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_weight_decay_goes_to_the_weights_in_the_optimizer(name):
    module = MLPNet(units=4).build((3,), 2)
    opt = make_optimizer(module, name, lr=0.01, weight_decay=1e-3, momentum=0.9)
    decay = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    for p in module.parameters():
        assert decay[id(p)] == (1e-3 if p.ndim > 1 else 0.0)


def _weight_norm(est, order):
    return sum(
        float(p.detach().abs().pow(order).sum()) for p in est.module_.parameters() if p.ndim > 1
    )


def test_l1_and_weight_decay_shrink_the_weights(small_table):
    X, y = small_table
    base = dict(network=MLPNet(units=16), learning_rate=1e-2, **{**FAST, "epochs": 10})
    plain = TorchClassifier(**base).fit(X, y)
    l1 = TorchClassifier(l1=1e-2, **base).fit(X, y)
    l2 = TorchClassifier(weight_decay=0.5, **base).fit(X, y)
    assert _weight_norm(l1, 1) < 0.8 * _weight_norm(plain, 1)
    assert _weight_norm(l2, 2) < 0.8 * _weight_norm(plain, 2)
    # the reported train loss is the data loss only, comparable with the validation loss
    assert l1.history_[0]["train_loss"] < 5


def test_early_stopping_stops_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)  # pure noise: it overfits fast
    est = TorchClassifier(
        MLPNet(units=64), epochs=200, patience=3, learning_rate=1e-2, batch_size=32, n_jobs=1
    ).fit(X, y)
    assert est.n_epochs_ < 200
    assert est.best_epoch_ == est.n_epochs_ - 3
    assert all("stop_loss" in h for h in est.history_)
    losses = [h["stop_loss"] for h in est.history_]
    assert min(losses) == losses[est.best_epoch_ - 1]


def test_sample_weight_changes_training(small_table):
    X, y = small_table
    w = np.where(y == "yes", 10.0, 1.0)
    kw = dict(network=MLPNet(units=8), learning_rate=1e-2, **FAST)
    plain = TorchClassifier(**kw).fit(X, y)
    weighted = TorchClassifier(**kw).fit(X, y, sample_weight=w)
    # heavier "yes" rows pull the predicted probability of "yes" up
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean() + 0.1


def test_devices_and_threads(small_table):
    X, y = small_table
    est = TorchClassifier(MLPNet(units=8), device="auto", amp=True, **{**FAST, "n_jobs": 1})
    est.bind_resources(cpus=1, gpus=0)  # a trial without a GPU stays on the CPU
    threads = []
    hook = lambda *a: threads.append(torch.get_num_threads())  # noqa: E731
    before = torch.get_num_threads()
    est.fit(X, y)
    assert est.device_ == "cpu"  # and amp is a no-op there
    est.module_.register_forward_hook(hook)
    est.predict(X)
    assert threads and set(threads) == {1}
    assert torch.get_num_threads() == before  # the caller's setting is restored
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            TorchClassifier(MLPNet(), device="cuda", **FAST).fit(X, y)


def test_fitted_estimator_round_trips_through_joblib(digits_frame):
    X, y = digits_frame
    est = TorchClassifier(CNNNet(filters=4, dense_units=8), dropout=0.1, **FAST).fit(
        X[:200], y[:200]
    )
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    again = joblib.load(buf)
    assert (again.predict(X[:50]) == est.predict(X[:50])).all()
    assert np.allclose(again.predict_proba(X[:50]), est.predict_proba(X[:50]))
    # a model on a GPU is pickled as a CPU copy; the live estimator stays where it is
    est.device_ = "cuda"  # as after a GPU fit (the copy's .to("cpu") works from any device)
    state = est.__getstate__()
    assert state["device_"] == "cpu" and state["module_"] is not est.module_
    assert est.device_ == "cuda"


def test_is_a_scikit_learn_estimator(small_table):
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import cross_val_score

    est = TorchClassifier(MLPNet(units=8), **FAST)
    assert is_classifier(est) and is_regressor(TorchRegressor())
    assert clone(est).get_params()["network"] == MLPNet(units=8)
    X, y = small_table
    assert cross_val_score(est, X, y, cv=2, scoring="neg_log_loss").shape == (2,)
