"""Specs: conformance, registration through the entry point, regularizer mapping, validation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from automl_core.builtins.regularizers import L1Spec, L2Spec
from automl_core.config import ConfigError, parse_config
from automl_core.plugins import build_registry
from automl_core.search.config_space import build_space, resolve
from automl_core.search.space import Float, Int
from automl_core.testing import check_spec

from automl_core_torch import CNNSpec, DropoutSpec, EarlyStoppingSpec, MLPSpec


@pytest.mark.parametrize(
    "spec",
    [
        MLPSpec(epochs=3),
        CNNSpec(epochs=2, filters=4, dense_units=8),
        MLPSpec.default_search("classification"),
        CNNSpec.default_search("classification"),
        DropoutSpec(),
        EarlyStoppingSpec(patience=Int(2, 8)),
    ],
    ids=lambda s: f"{s.kind}",
)
def test_conformance(spec):
    check_spec(spec)


def test_kinds_come_from_the_entry_point():
    registry = build_registry()
    assert registry.provider("model", "mlp").dist == "automl-core-torch"
    assert registry.get("model", "cnn") is CNNSpec
    assert registry.get("regularizer", "dropout") is DropoutSpec
    assert registry.get("regularizer", "early_stopping") is EarlyStoppingSpec


def test_loading_the_plugin_does_not_import_torch():
    code = "import sys, automl_core_torch.plugin; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_regularizers_map_onto_estimator_params():
    regs = [
        L1Spec(strength=1e-3),
        L2Spec(strength=1e-4),
        DropoutSpec(rate=0.3),
        DropoutSpec(rate=0.1),
        EarlyStoppingSpec(patience=4, min_delta=0.01, validation_fraction=0.2),
    ]
    est = MLPSpec(units=8).build("classification", regs, seed=3, n_jobs=2)
    p = est.get_params()
    assert (p["l1"], p["weight_decay"], p["dropout"]) == (1e-3, 1e-4, 0.3)  # larger rate wins
    assert (p["patience"], p["min_delta"], p["validation_fraction"]) == (4, 0.01, 0.2)
    assert (p["random_state"], p["n_jobs"]) == (3, 2)
    bare = CNNSpec().build("regression", [], seed=0).get_params()
    assert bare["patience"] is None and bare["dropout"] == 0 and bare["weight_decay"] == 0
    assert type(est).__name__ == "TorchClassifier"
    assert type(CNNSpec().build("regression", [], seed=0)).__name__ == "TorchRegressor"


def test_an_unaccepted_regularizer_is_refused_at_validation():
    cfg = {
        "target": "y",
        "models": [{"kind": "random_forest", "regularizers": [{"kind": "dropout", "rate": 0.2}]}],
    }
    with pytest.raises(ConfigError, match="cannot take regularizer 'dropout'"):
        parse_config(cfg)


def test_searchable_fields_and_regularizers_become_dims():
    cfg = parse_config(
        {
            "target": "y",
            "task": "classification",
            "models": [
                {
                    "kind": "cnn",
                    "filters": {"type": "choice", "values": [8, 16]},
                    "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
                    "regularizers": [
                        {"kind": "dropout", "rate": {"type": "float", "low": 0.0, "high": 0.5}},
                        {"kind": "l2", "strength": 1e-4},
                        {"kind": "early_stopping", "patience": 3},
                    ],
                }
            ],
        }
    )
    space = build_space(cfg)
    assert set(space.names) == {"cnn.filters", "cnn.learning_rate", "cnn.dropout.rate"}
    point = {"cnn.filters": 16, "cnn.learning_rate": 1e-3, "cnn.dropout.rate": 0.25}
    resolved = resolve(cfg, point)
    est = resolved.model.build("classification", resolved.regularizers, seed=0)
    p = est.get_params()
    assert (p["network"].filters, p["learning_rate"], p["dropout"]) == (16, 1e-3, 0.25)
    assert (p["weight_decay"], p["patience"]) == (1e-4, 3)


def test_field_validation():
    with pytest.raises(ValueError):
        CNNSpec(kernel_size=4)
    with pytest.raises(ValueError):
        DropoutSpec(rate=1.0)
    with pytest.raises(ValueError):
        MLPSpec(optimizer="lbfgs")
    with pytest.raises(ValueError):
        DropoutSpec(rate=Float(0.0, 1.5))
    assert CNNSpec.model_validate({"image_shape": [8, 8, 1]}).image_shape == (8, 8, 1)
