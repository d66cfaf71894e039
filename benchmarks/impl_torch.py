"""PyTorch eager: `nn.Sequential`, `nn.CrossEntropyLoss`, `torch.optim.Adam`, the usual loop.

`zero_grad`, forward, loss, `backward`, `step`: the lesson's loop, unchanged. The
worker sets `torch.set_num_threads` to the number of cores JAX uses.
"""

from __future__ import annotations

import numpy as np

from benchmarks.models import LEARNING_RATE, ModelSpec
from benchmarks.trainer import Trainer

__all__ = ["torch_trainer"]


def _model(spec: ModelSpec, torch):
    nn = torch.nn
    if spec.kind == "cnn":
        channels, hidden, height, width, classes = spec.sizes
        flat = hidden * (height // 2) * (width // 2)
        return nn.Sequential(
            nn.Conv2d(channels, hidden, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(flat, classes),
        )
    activation = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[spec.activation]
    layers = []
    for index, (fan_in, fan_out) in enumerate(spec.layers):
        layers.append(nn.Linear(fan_in, fan_out))
        if index < len(spec.layers) - 1:
            layers.append(activation())
    return nn.Sequential(*layers)


def torch_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    import torch

    dtype = {"float64": torch.float64, "float32": torch.float32}[spec.dtype]
    loss_fn = torch.nn.CrossEntropyLoss()

    def init():
        model = _model(spec, torch).to(dtype)
        layers = [module for module in model if hasattr(module, "weight")]
        with torch.no_grad():
            for module, layer in zip(layers, weights, strict=True):
                module.weight.copy_(torch.from_numpy(layer["weight"]))
                module.bias.copy_(torch.from_numpy(layer["bias"]))
        return model, torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    def make_step():
        def step(state, batch):
            model, optimizer = state
            x, y = batch
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            return state, loss

        return step

    def to_batch(x: np.ndarray, y: np.ndarray):
        return torch.from_numpy(x).to(dtype), torch.from_numpy(y.astype(np.int64))

    return Trainer(
        init=init,
        make_step=make_step,
        to_batch=to_batch,
        sync=lambda state: None,
        loss_of=lambda loss: float(loss.item()),
    )
