"""Neural networks from scratch in NumPy: activations, McCulloch-Pitts, the perceptron and an MLP.

Nothing here imports TensorFlow or PyTorch: these are the pieces the frameworks hide.
"""

from .activations import (
    ACTIVATIONS,
    d_elu,
    d_gelu,
    d_leaky_relu,
    d_relu,
    d_selu,
    d_sigmoid,
    d_sign,
    d_softplus,
    d_step,
    d_tanh,
    elu,
    gelu,
    get_activation,
    leaky_relu,
    relu,
    selu,
    sigmoid,
    sign,
    softplus,
    step,
    tanh,
)
from .mlp import MLP, gradient_check, numerical_gradient
from .neurons import McCullochPittsNeuron, logic_gate
from .perceptron import Perceptron

__all__ = [
    "ACTIVATIONS", "MLP", "McCullochPittsNeuron", "Perceptron",
    "d_elu", "d_gelu", "d_leaky_relu", "d_relu", "d_selu", "d_sigmoid", "d_sign", "d_softplus",
    "d_step", "d_tanh", "elu", "gelu", "get_activation", "gradient_check", "leaky_relu",
    "logic_gate", "numerical_gradient", "relu", "selu", "sigmoid", "sign", "softplus", "step",
    "tanh",
]
