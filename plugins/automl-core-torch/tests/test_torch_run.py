"""Through ``ac.run`` on a real local Ray: per-epoch history, ASHA, the refit best pipeline."""

from __future__ import annotations

import automl_core as ac
import joblib
import numpy as np
import pytest
from automl_core.data.cleaning import image_paths

pytestmark = pytest.mark.slow


def test_run_records_train_and_validation_history(ray_session, small_table, tmp_path):
    X, y = small_table
    res = ac.run(
        X.assign(y=y),
        target="y",
        strategy="random",
        trials=2,
        folds=2,
        seed=0,
        cleaners=[],
        models=[
            {
                "kind": "mlp",
                "epochs": 3,
                "units": {"type": "choice", "values": [4, 8]},
                "regularizers": [
                    {"kind": "dropout", "rate": 0.1},
                    {"kind": "l2", "strength": 1e-4},
                ],
            }
        ],
        results_dir=tmp_path / "res",
        show_progress=False,
    )
    assert list(res.table["status"]) == ["ok", "ok"]
    assert (res.table["metric.epochs_run"] == 3).all()
    h = res.history
    assert set(h["trial_id"]) == {0, 1}
    assert set(h["metric"]) == {"score", "train_loss", "val_loss", "train_accuracy", "val_accuracy"}
    per_trial = h.groupby(["trial_id", "metric"])["epoch"].apply(sorted)
    assert all(epochs == [1, 2, 3] for epochs in per_trial)
    assert (tmp_path / "res" / "history.csv").exists()
    again = joblib.load(tmp_path / "res" / "best_pipeline.joblib")
    assert (again.predict(X) == res.best_pipeline.predict(X)).all()
    # the refit keeps a trial's torch threads (1 CPU per trial by default), not every core
    assert res.best_pipeline.steps[-1][1].n_jobs == 1


def test_image_folder_with_asha_stops_bad_trials_early(ray_session, png_folder):
    table = image_paths(png_folder)
    res = ac.run(
        table,
        target="label",
        strategy="random",
        trials=8,
        folds=2,
        seed=0,
        cleaners=[
            {"kind": "image_resize", "height": 8, "width": 8},
            {"kind": "image_normalize", "method": "unit"},
        ],
        models=[
            {
                "kind": "cnn",
                "epochs": 6,
                "filters": 8,
                "dense_units": 16,
                "batch_size": 4,
                # one rate that learns, one that cannot: ASHA has something to stop
                "learning_rate": {"type": "choice", "values": [1e-7, 2e-2]},
                "regularizers": [{"kind": "dropout", "rate": 0.1}],
            }
        ],
        # max_epochs above the model's epochs: a trial that trains to its end finishes "ok"
        config={
            "target": "label",
            "scheduler": {
                "kind": "asha",
                "max_epochs": 7,
                "grace_period": 1,
                "reduction_factor": 2,
            },
        },
        show_progress=False,
    )
    status = res.table["status"]
    assert (status == "stopped early").any(), res.table[["status", "score"]]
    assert (status == "ok").any()
    assert res.best.params["cnn.learning_rate"] == 2e-2
    assert not res.history.empty
    pred = res.best_pipeline.predict(table[["path"]])
    assert np.mean(pred == table["label"]) >= 0.8
