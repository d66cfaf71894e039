"""funcnet: a PyTorch beginner lesson as a pure-functional JAX library.

Layers are immutable values with `init(key, input_shape) -> params` and
`apply(params, x) -> y`; activations, losses and metrics are plain functions. All of
them compose with `jax.jit`, `jax.grad` and `jax.vmap`; optimizers are optax's.

Examples:
    >>> import jax, jax.numpy as jnp
    >>> import funcnet
    >>> model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8))
    >>> params = model.init(jax.random.key(0), (4, 10))
    >>> target = jnp.array([0, 1, 2, 3])
    >>> loss_fn = lambda p: funcnet.cross_entropy(model(p, jnp.ones((4, 10))), target)
    >>> grads = jax.grad(loss_fn)(params)
    >>> [name for name, _ in funcnet.named_parameters(grads)]
    ['0.bias', '0.weight', '2.bias', '2.weight']
"""

from funcnet import checkpoint, data, devices, init, models
from funcnet._checking import checked
from funcnet.activations import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from funcnet.checkpoint import CheckpointError
from funcnet.errors import (
    DivergenceError,
    DoubleSoftmaxWarning,
    ShapeError,
    StateDictError,
    TrainingInterrupted,
)
from funcnet.graph import Graph, graph
from funcnet.layers import (
    ELU,
    GELU,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    Layer,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    MaxUnpool2d,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from funcnet.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from funcnet.metrics import accuracy, confusion_matrix, f1_score, precision, recall
from funcnet.params import (
    Summary,
    count_parameters,
    load_state_dict,
    named_buffers,
    named_parameters,
    state_dict,
    summary,
)
from funcnet.sweep import SweepHistory, SweepInterrupted, SweepRun, select_run, sweep
from funcnet.train import (
    TrainState,
    evaluate,
    fit,
    init_state,
    make_train_step,
    per_example_grads,
    predict,
    steps_per_epoch,
)

__version__ = "0.1.0"

__all__ = [
    "ELU",
    "GELU",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "CheckpointError",
    "Conv2d",
    "DivergenceError",
    "DoubleSoftmaxWarning",
    "Dropout",
    "Embedding",
    "Flatten",
    "Graph",
    "Identity",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MaxPool2d",
    "MaxUnpool2d",
    "ReLU",
    "Sequential",
    "ShapeError",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "StateDictError",
    "Summary",
    "SweepHistory",
    "SweepInterrupted",
    "SweepRun",
    "Tanh",
    "TrainState",
    "TrainingInterrupted",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "checked",
    "checkpoint",
    "confusion_matrix",
    "count_parameters",
    "cross_entropy",
    "data",
    "devices",
    "elu",
    "evaluate",
    "f1_score",
    "fit",
    "gelu",
    "graph",
    "huber_loss",
    "init",
    "init_state",
    "l1_loss",
    "leaky_relu",
    "load_state_dict",
    "log_softmax",
    "make_train_step",
    "models",
    "mse_loss",
    "named_buffers",
    "named_parameters",
    "nll_loss",
    "per_example_grads",
    "precision",
    "predict",
    "recall",
    "relu",
    "select_run",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "state_dict",
    "steps_per_epoch",
    "summary",
    "sweep",
    "tanh",
]
