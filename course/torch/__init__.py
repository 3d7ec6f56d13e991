"""PyTorch side of the course: the MLP of an :class:`~course.models.MLPConfig`, optimizers, training.

Same names and signatures as :mod:`course.keras` (the few differences the frameworks force are
listed in :data:`course.interface.EXCEPTIONS`). The network returns logits (no softmax
module, so ``nn.CrossEntropyLoss`` applies directly); :func:`predict_proba` applies the softmax.

>>> from course import torch as K          # or: from course import keras as K
>>> model = K.build_mlp(MLPConfig())
>>> history = K.fit(model, data.train, data.valid, epochs=10, optimizer="adam", lr=1e-3)
"""

from .init import get_initializer, initialize
from .inspection import layer_activations, layer_gradients, layer_weights
from .lr_finder import lr_find
from .models import build_mlp, count_params, describe_layers
from .optim import get_optimizer
from .training import (
    History,
    default_loss,
    evaluate,
    fit,
    load_model,
    model_task,
    predict,
    predict_proba,
    save_model,
)
from .tuning import make_objective

__all__ = [
    "History", "build_mlp", "count_params", "default_loss", "describe_layers", "evaluate", "fit",
    "get_initializer", "get_optimizer", "initialize", "layer_activations", "layer_gradients", "layer_weights",
    "load_model", "lr_find", "make_objective", "model_task", "predict", "predict_proba", "save_model",
]
