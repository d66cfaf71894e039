"""Check funcnet on a GPU: JAX sees it, and the GPU computes what the CPU computes.

    python scripts/gpu_check.py                # the first GPU against the CPU
    python scripts/gpu_check.py --epochs 10    # longer digits training
    python scripts/gpu_check.py --platform tpu # any other JAX platform

Run it on a machine with a GPU after `pip install -e '.[gpu]'` (jax's CUDA build);
funcnet's own code is the same on every platform. It runs, once on the accelerator and
once on the CPU of the same machine:

1. the lesson's model, `Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8))`: its
   outputs, cross-entropy loss and gradients on a fixed batch;
2. digits training (`models.mlp(64, 128, 10)`, Adam, batch 32), the same seed;

and compares them. Matrix products run at `jax_default_matmul_precision="highest"`,
set here explicitly: GPUs may otherwise multiply float32 in TF32 (10-bit mantissa),
which is faster and differs from the CPU at about 1e-3. What is left is the order of
sums and the last bits of `exp` and `log`:

- lesson model, float32: outputs, loss and gradients within rtol 1e-5, atol 1e-6;
- digits params after training, float32: within 1e-3 (the largest absolute
  difference; Adam turns a rounding difference into up to a learning-rate-sized step
  where a gradient is near zero), and validation accuracy within 0.01.

With `--x64` everything runs in float64 and the tolerances become 1e-12 (lesson
model) and 1e-9 (digits params).

It prints each difference, the tolerance and the verdict, then steps/s of digits
training on each platform (compilation excluded: the median over the epochs after the
first). Exit status: 0 every check holds, 1 a difference exceeds its tolerance, 2 no
device of the platform (the message says which jax extra to install). It is a manual
check for a GPU machine, never part of the CPU test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence

INSTALL = {
    "gpu": "pip install -e '.[gpu]'  (jax[cuda12]: NVIDIA driver >= 525 on Linux x86_64)",
    "tpu": "pip install 'jax[tpu]'  (on a Cloud TPU VM)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/gpu_check.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--platform", default="gpu", help="the JAX platform to check (default: gpu)"
    )
    parser.add_argument(
        "--epochs", type=int, default=5, help="digits epochs on each platform (default: 5)"
    )
    parser.add_argument("--x64", action="store_true", help="compare in float64")
    return parser


def _device(platform: str):
    """The first device of `platform`, or None."""
    import jax

    try:
        return jax.devices(platform)[0]
    except RuntimeError:  # JAX raises this for a platform it has no backend for
        return None


def _lesson(device) -> dict:
    """The lesson model's outputs, loss and gradients, computed on `device`."""
    import jax
    import jax.numpy as jnp

    import funcnet

    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8))
    x = jax.random.normal(jax.random.key(1), (4, 10))
    target = jnp.array([0, 3, 5, 7])
    with jax.default_device(device):
        params = model.init(jax.random.key(0), x.shape)

        def loss(p):
            return funcnet.cross_entropy(model(p, x), target)

        value, grads = jax.jit(jax.value_and_grad(loss))(params)
        outputs = jax.jit(model.apply)(params, x)
    return jax.device_get({"outputs": outputs, "loss": value, "grads": grads})


def _digits(device, epochs: int) -> tuple[dict, float, float]:
    """Digits trained on `device`: the params, validation accuracy and steps/s."""
    import jax
    import numpy as np
    import optax

    import funcnet

    dtype = np.float64 if jax.config.jax_enable_x64 else np.float32
    digits = funcnet.data.load_digits(dtype=dtype)
    model = funcnet.models.mlp(64, 128, 10)
    params = model.init(jax.random.key(0), digits.train.x.shape)
    state, history = funcnet.fit(
        model,
        params,
        digits.train,
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.adam(1e-3),
        epochs=epochs,
        batch_size=32,
        key=jax.random.key(1),
        validation=digits.test,
        progress=False,
        devices=[device],  # a one-device mesh: everything placed on that device
    )
    steps = funcnet.steps_per_epoch(len(digits.train.x), 32)
    seconds = statistics.median(history["seconds"][1:] or history["seconds"])
    return jax.device_get(state.params), history["val_accuracy"][-1], steps / seconds


def _largest(a, b) -> float:
    import jax
    import numpy as np

    pairs = zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in pairs)


def _close(a, b, rtol: float, atol: float) -> bool:
    import jax
    import numpy as np

    pairs = zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    return all(np.allclose(x, y, rtol=rtol, atol=atol) for x, y in pairs)


def _verdict(name: str, difference: float, tolerance: str, holds: bool) -> bool:
    print(
        f"{name:<34} largest difference {difference:.3g}  tolerance {tolerance}  "
        f"{'ok' if holds else 'FAILED'}"
    )
    return holds


def check(platform: str, epochs: int, x64: bool) -> int:
    """Run the comparison; the exit status (0, 1 or 2) as described above."""
    import jax

    jax.config.update("jax_enable_x64", x64)
    jax.config.update("jax_default_matmul_precision", "highest")
    accelerator, cpu = _device(platform), _device("cpu")
    if accelerator is None:
        hint = INSTALL.get(platform, f"the jax extra for {platform}")
        print(
            f"no {platform.upper()} found: JAX sees only {jax.devices()} "
            f"(backend {jax.default_backend()!r}). Install jax's build for it: {hint}. "
            "funcnet's code does not change.",
            file=sys.stderr,
        )
        return 2
    import funcnet

    print(f"{platform}: {funcnet.devices.describe(funcnet.devices.mesh([accelerator]))}")
    print(f"cpu: {funcnet.devices.describe(funcnet.devices.mesh([cpu]))}")
    print(f"jax {jax.__version__}, float{'64' if x64 else '32'}, matmul precision highest")
    lesson_rtol, lesson_atol = (1e-12, 1e-12) if x64 else (1e-5, 1e-6)
    fast, slow = _lesson(accelerator), _lesson(cpu)
    holds = _verdict(
        "lesson model: outputs, loss, grads",
        _largest(fast, slow),
        f"rtol {lesson_rtol:g}, atol {lesson_atol:g}",
        _close(fast, slow, lesson_rtol, lesson_atol),
    )
    params_tol = 1e-9 if x64 else 1e-3
    (fast_params, fast_acc, fast_rate) = _digits(accelerator, epochs)
    (slow_params, slow_acc, slow_rate) = _digits(cpu, epochs)
    difference = _largest(fast_params, slow_params)
    holds &= _verdict(
        f"digits params after {epochs} epochs",
        difference,
        f"{params_tol:g}",
        difference <= params_tol,
    )
    holds &= _verdict(
        "digits validation accuracy",
        abs(fast_acc - slow_acc),
        "0.01",
        abs(fast_acc - slow_acc) <= 0.01,
    )
    print(
        f"digits training: {fast_rate:,.0f} steps/s on {platform}, "
        f"{slow_rate:,.0f} steps/s on cpu ({fast_rate / slow_rate:.2f}x)"
    )
    return 0 if holds else 1


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.epochs < 2:
        _parser().error("--epochs must be at least 2 (the first epoch compiles)")
    return check(arguments.platform, arguments.epochs, arguments.x64)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
