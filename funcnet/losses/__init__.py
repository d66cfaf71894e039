"""Losses with `torch.nn.functional` semantics: same arguments, values and gradients.

Every loss takes `(input, target)` in PyTorch's order and a `reduction` of `"mean"`,
`"sum"` or `"none"`. Shapes are checked in Python (at trace time under `jit`).

Where funcnet differs from PyTorch on purpose:

- A `target` whose shape differs from `input` in the elementwise losses (`mse_loss`,
  `l1_loss`, ...) is an error, not a broadcast with a warning: broadcasting there
  silently computes a different loss.
- Class-index targets are checked against `[0, C)` whenever their values are concrete
  (outside `jit`). Under `jit` the values are unknown while tracing, so an
  out-of-range target makes that example's loss `nan` rather than read a wrong class.
"""

from funcnet.losses.binary import binary_cross_entropy, binary_cross_entropy_with_logits
from funcnet.losses.classification import cross_entropy, nll_loss
from funcnet.losses.regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]
