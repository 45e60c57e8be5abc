"""Regularizers that only networks take: dropout and early stopping.

The torch models also take automl-core's own ``l1`` and ``l2`` kinds (``strength``): l2 is the
optimizer's weight decay, l1 a penalty ``strength * sum(|w|)`` added to every batch's loss. All
of them act on weights (matrices and kernels), never on biases or normalisation scales.
"""

from __future__ import annotations

from typing import Annotated, Literal

from automl_core.search.space import Searchable
from automl_core.specs import RegularizerSpec
from pydantic import Field

__all__ = ["DropoutSpec", "EarlyStoppingSpec"]


class DropoutSpec(RegularizerSpec):
    """Dropout after every hidden layer (each dense layer, each conv block) at ``rate``.

    ``rate`` is the share of units zeroed at each training step, in [0, 1); prediction uses
    every unit. Given twice, the larger rate wins. Taken by ``mlp`` and ``cnn``.
    """

    kind: Literal["dropout"] = "dropout"
    rate: Searchable[Annotated[float, Field(ge=0, lt=1)]] = 0.5


class EarlyStoppingSpec(RegularizerSpec):
    """Stop training when a held-out part of the training rows stops improving.

    ``validation_fraction`` of each fit's training rows (stratified for classification) are set
    aside; after every epoch their loss is computed, and training stops once it has not improved
    by more than ``min_delta`` for ``patience`` epochs in a row. The model's ``epochs`` is then a
    maximum. With ``restore_best`` the weights of the best epoch are kept. The held-out rows come
    from the training fold only: the fold that scores the trial never decides when it stops.
    Taken by ``mlp`` and ``cnn``.
    """

    kind: Literal["early_stopping"] = "early_stopping"
    patience: Searchable[Annotated[int, Field(ge=1)]] = 5
    min_delta: Searchable[Annotated[float, Field(ge=0)]] = 0.0
    validation_fraction: Annotated[float, Field(gt=0, le=0.5)] = 0.1
    restore_best: bool = True
