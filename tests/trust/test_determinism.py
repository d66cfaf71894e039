"""Determinism: the same key gives bit-identical parameters, outputs and training runs,
and funcnet keeps no global random state.
"""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest

import funcnet

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "funcnet"

# A tiny run touching every source of randomness: init, dropout, shuffling, and the
# key carried through fit. It prints the bytes of everything it produced.
RUN = """
import hashlib
import json

import jax
import jax.numpy as jnp
import optax

import funcnet

model = funcnet.Sequential(
    funcnet.Linear(4, 8), funcnet.ReLU(), funcnet.Dropout(0.25), funcnet.Linear(8, 3)
)
params = model.init(jax.random.key(1), (16, 4))
x = jax.random.normal(jax.random.key(2), (30, 4))
y = jax.random.randint(jax.random.key(3), (30,), 0, 3)
outputs = model.apply(params, x, key=jax.random.key(4), training=True)
state, history = funcnet.fit(
    model, params, (x, y), loss_fn=funcnet.cross_entropy, optimizer=optax.adam(1e-2),
    epochs=2, batch_size=8, key=jax.random.key(5), progress=False,
)
history.pop("seconds")
leaves = jax.tree_util.tree_leaves(
    (params, outputs, state.params, state.opt_state, state.step, jax.random.key_data(state.key))
)
digest = hashlib.sha256()
for leaf in leaves:
    digest.update(jnp.asarray(leaf).tobytes())
history = {name: [float(value).hex() for value in values] for name, values in history.items()}
print(json.dumps({"digest": digest.hexdigest(), "history": history}, sort_keys=True))
"""


def _run_in_fresh_process(hash_seed: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "JAX_ENABLE_X64": "0",
        # A different hash seed per run: no result may depend on set or dict-of-str order.
        "PYTHONHASHSEED": hash_seed,
    }
    return subprocess.Popen(
        [sys.executable, "-c", RUN],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_a_tiny_fit_is_bit_identical_in_two_fresh_processes():
    runs = [_run_in_fresh_process(seed) for seed in ("1", "2")]
    results = [run.communicate(timeout=300) for run in runs]
    for run, (_, stderr) in zip(runs, results, strict=True):
        assert run.returncode == 0, stderr.decode()[-3000:]
    (first, _), (second, _) = results
    assert first.strip() and first == second


def test_the_same_key_gives_the_same_params_and_dropout_masks():
    model = funcnet.Sequential(
        funcnet.Linear(4, 8), funcnet.Dropout(0.5), funcnet.GELU(), funcnet.Linear(8, 3)
    )
    first, second, other = (model.init(jax.random.key(k), (2, 4)) for k in (11, 11, 12))
    leaves = jax.tree_util.tree_leaves
    assert all(
        np.asarray(a).tobytes() == np.asarray(b).tobytes()
        for a, b in zip(leaves(first), leaves(second), strict=True)
    )
    assert not any(np.array_equal(a, b) for a, b in zip(leaves(first), leaves(other), strict=True))
    x = np.ones((2, 4), np.float32)
    runs = [model.apply(first, x, key=jax.random.key(3), training=True) for _ in range(2)]
    assert np.asarray(runs[0]).tobytes() == np.asarray(runs[1]).tobytes()
    different = model.apply(first, x, key=jax.random.key(4), training=True)
    assert not np.array_equal(runs[0], different)


# --- no global random state ------------------------------------------------------------

# numpy.random names that do not touch the global generator.
ALLOWED_NUMPY_RANDOM = {"default_rng", "Generator", "SeedSequence", "BitGenerator", "PCG64"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def global_randomness(source: str) -> list[str]:
    """Uses of numpy's global generator or of the `random` module in `source`."""
    problems = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "random" or alias.name.startswith("random."):
                    problems.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.module == "random":
                problems.append(f"line {node.lineno}: from random import ...")
            if node.module in ("numpy.random", "np.random"):
                for alias in node.names:
                    if alias.name not in ALLOWED_NUMPY_RANDOM:
                        problems.append(
                            f"line {node.lineno}: from numpy.random import {alias.name}"
                        )
        elif isinstance(node, ast.Attribute):
            name = _dotted(node)
            for prefix in ("np.random.", "numpy.random."):
                if name.startswith(prefix) and name[len(prefix) :] not in ALLOWED_NUMPY_RANDOM:
                    problems.append(f"line {node.lineno}: {name}")
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func).endswith("random.default_rng")
            and not (node.args or node.keywords)
        ):
            problems.append(f"line {node.lineno}: default_rng() without a seed")
    return problems


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import numpy as np\nnp.random.seed(0)", True),
        ("import numpy as np\nx = np.random.randn(3)", True),
        ("import numpy\nnumpy.random.normal()", True),
        ("from numpy.random import rand", True),
        ("import random\nrandom.shuffle(x)", True),
        ("from random import choice", True),
        ("import numpy as np\nrng = np.random.default_rng()", True),
        ("import numpy as np\nrng = np.random.default_rng(0)", False),
        ("import jax\nkey = jax.random.key(0)", False),
    ],
)
def test_the_scan_finds_global_randomness(source, found):
    assert bool(global_randomness(source)) == found


def test_funcnet_uses_no_global_random_state():
    problems = {
        str(path.relative_to(ROOT)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := global_randomness(path.read_text()))
    }
    assert not problems, problems
