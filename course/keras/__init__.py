"""Keras side of the course: the MLP of an :class:`~course.models.MLPConfig`, optimizers, training.

Same names and signatures as :mod:`course.torch` (the few differences the frameworks force are
listed in :data:`course.interface.EXCEPTIONS`), so a notebook can switch framework by changing one import:

>>> from course import keras as K          # or: from course import torch as K
>>> model = K.build_mlp(MLPConfig())
>>> history = K.fit(model, data.train, data.valid, epochs=10, optimizer="adam", lr=1e-3)
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras.callbacks import History  # noqa: E402  (what fit returns, as course.torch.History)

from .inspection import layer_activations, layer_gradients, layer_weights  # noqa: E402
from .lr_finder import lr_find  # noqa: E402
from .models import build_mlp, count_params, describe_layers, get_initializer, initialize  # noqa: E402
from .optim import get_optimizer  # noqa: E402
from .training import (  # noqa: E402
    default_loss,
    evaluate,
    fit,
    load_model,
    model_task,
    predict,
    predict_proba,
    save_model,
)
from .tuning import MLPHyperModel, build_model  # noqa: E402

__all__ = [
    "History", "MLPHyperModel", "build_mlp", "build_model", "count_params", "default_loss", "describe_layers",
    "evaluate", "fit", "get_initializer", "get_optimizer", "initialize", "layer_activations", "layer_gradients",
    "layer_weights", "load_model", "lr_find", "model_task", "predict", "predict_proba", "save_model",
]
