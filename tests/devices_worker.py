"""Training runs in their own process, for tests/test_devices.py: digits on N devices.

XLA reads `XLA_FLAGS` once, when JAX starts, so every multi-device run is a fresh
process: this script sets the simulated device count, optionally joins a
`jax.distributed` cluster, trains the digits model once per entry of `--runs`
(`none`: no mesh, the single-device path; an int N: a mesh of N devices) for each
model of `--models`, and writes what each got to an `.npz` file, keys prefixed by
model and run (`mlp/4/param:0.weight`):

    python tests/devices_worker.py OUT.npz --simulate 4 --runs none,4 [--x64]
        [--models mlp,bn-dropout] [--epochs 2] [--batch-size 32]
        [--coordinator 127.0.0.1:PORT --processes 2 --process-id I]
        [--checkpoints DIR] [--even]

With `--checkpoints`, it also trains the first model on the first mesh, saves,
reloads into a single-device run, saves again and reloads into a run on the mesh,
and records the final params (`MODEL/roundtrip/param:...`). Errors that need several
devices are written as `MODEL/error:NAME` messages. With `--even`, `MODEL/even/...`
holds one epoch on 1,436 examples, whose ragged last batch the devices split as well.
The multi-host part is the recipe of docs/devices.md: the same script on every
process, `jax.distributed.initialize` first, then plain funcnet.
"""

from __future__ import annotations

import argparse
import os


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--simulate", type=int, default=1, help="CPU devices per process")
    parser.add_argument("--runs", default="none", help="comma-separated: none, or counts")
    parser.add_argument("--x64", action="store_true")
    parser.add_argument("--models", default="mlp", help="comma-separated: mlp, bn-dropout")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--coordinator")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--process-id", type=int, default=0)
    parser.add_argument("--checkpoints", help="a directory for the checkpoint round trip")
    parser.add_argument("--even", action="store_true", help="also the even-remainder epoch")
    return parser.parse_args()


def _model(name: str):
    import funcnet

    if name == "mlp":
        return funcnet.models.mlp(64, 32, 10)
    # No bias before batch norm, as in PyTorch practice: its gradient is zero in exact
    # arithmetic, so Adam would follow the rounding noise of its sum.
    return funcnet.Sequential(
        funcnet.Linear(64, 32, bias=False),
        funcnet.BatchNorm1d(32),
        funcnet.ReLU(),
        funcnet.Dropout(0.2),
        funcnet.Linear(32, 10),
    )


class _Problem:
    """The digits data, a model and an optimizer, and a run of `fit` on them."""

    def __init__(self, arguments: argparse.Namespace, model: str) -> None:
        import jax
        import numpy as np
        import optax

        import funcnet

        dtype = np.float64 if arguments.x64 else np.float32
        self.digits = funcnet.data.load_digits(dtype=dtype)
        self.model = _model(model)
        self.optimizer = optax.adam(1e-2)
        self.params = self.model.init(jax.random.key(0), self.digits.train.x.shape)
        self.arguments = arguments

    def fit(self, start, devices, epochs=None, batch_size=None, data=None):
        import jax

        import funcnet

        return funcnet.fit(
            self.model,
            start,
            data or self.digits.train,
            loss_fn=funcnet.cross_entropy,
            optimizer=self.optimizer,
            epochs=epochs or self.arguments.epochs,
            batch_size=batch_size or self.arguments.batch_size,
            key=jax.random.key(1),
            validation=self.digits.test,
            progress=False,
            devices=devices,
        )

    def record(self, label, devices):
        """`fit`, `evaluate` and `predict` on `devices`: arrays named `label/...`."""
        import jax
        import numpy as np

        import funcnet

        state, history = self.fit(self.params, devices)
        test = self.digits.test
        scores = funcnet.evaluate(
            self.model, state, test, loss_fn=funcnet.cross_entropy, devices=devices
        )
        outputs = funcnet.predict(self.model, state, test.x, batch_size=120, devices=devices)
        specs = {str(getattr(a.sharding, "spec", "one device")) for a in jax.tree.leaves(state)}
        return {
            **_params(label, state),
            f"{label}/loss": np.array(history["loss"]),
            f"{label}/val_loss": np.array(history["val_loss"]),
            f"{label}/evaluate_loss": np.array(scores["loss"]),
            f"{label}/outputs": np.asarray(outputs),
            f"{label}/step": np.asarray(state.step),
            f"{label}/state_specs": np.array(sorted(specs)),
        }

    def roundtrip(self, directory, devices):
        """Mesh, save, one device, save, mesh: each epoch continues the last."""
        import jax
        import numpy as np

        import funcnet

        like = funcnet.init_state(
            self.params,
            self.optimizer,
            jax.random.key(1),
            self.model.initial_state(self.digits.train.x.shape),
        )
        state, _ = self.fit(self.params, devices, epochs=1)
        funcnet.checkpoint.save(os.path.join(directory, "sharded.safetensors"), state)
        single = funcnet.checkpoint.load(os.path.join(directory, "sharded.safetensors"), like)
        placed = {len(a.devices()) for a in jax.tree.leaves(single)}
        state, _ = self.fit(single, None, epochs=1)
        funcnet.checkpoint.save(os.path.join(directory, "single.safetensors"), state)
        again = funcnet.checkpoint.load(os.path.join(directory, "single.safetensors"), like)
        state, _ = self.fit(again, devices, epochs=self.arguments.epochs - 2)
        return {**_params("roundtrip", state), "roundtrip/loaded_on": np.array(sorted(placed))}

    def even_remainder(self, devices):
        """One epoch on 1,436 examples, whose last batch (28) the devices split too."""
        import numpy as np

        data = self.digits.train.x[:1436], self.digits.train.y[:1436]
        alone, _ = self.fit(self.params, None, epochs=1, data=data)
        meshed, _ = self.fit(self.params, devices, epochs=1, data=data)
        return {
            **_params("even/none", alone),
            **_params(f"even/{devices}", meshed),
            "even/step": np.asarray(meshed.step),
        }

    def errors(self, devices):
        """The messages of the errors that only several devices can raise."""
        import numpy as np

        try:
            self.fit(self.params, devices, epochs=1, batch_size=devices + 1)
        except ValueError as error:
            return {"error:batch_size": np.array(str(error))}
        return {}


def _params(label, state):
    import numpy as np

    import funcnet

    named = {**dict(funcnet.named_parameters(state.params))}
    named |= {f"buffer:{n}": v for n, v in funcnet.named_buffers(state.model_state)}
    return {f"{label}/param:{name}": np.asarray(value) for name, value in named.items()}


def main() -> None:
    arguments = _arguments()
    flags = os.environ.get("XLA_FLAGS", "")
    count = f"--xla_force_host_platform_device_count={arguments.simulate}"
    os.environ["XLA_FLAGS"] = f"{flags} {count}".strip()
    os.environ["JAX_ENABLE_X64"] = "1" if arguments.x64 else "0"
    import jax

    if arguments.coordinator:
        jax.distributed.initialize(
            arguments.coordinator, arguments.processes, arguments.process_id
        )
    import numpy as np

    import funcnet

    results = {
        "device_count": np.array(jax.device_count()),
        "process_count": np.array(jax.process_count()),
    }
    runs = [None if run == "none" else int(run) for run in arguments.runs.split(",")]
    meshes = [devices for devices in runs if devices is not None]
    for index, model in enumerate(arguments.models.split(",")):
        problem = _Problem(arguments, model)
        found = {}
        for devices in runs:
            found |= problem.record("none" if devices is None else str(devices), devices)
        if index == 0 and meshes and arguments.checkpoints:
            found |= problem.roundtrip(arguments.checkpoints, meshes[0])
        if index == 0 and meshes and meshes[0] > 1:
            found |= problem.errors(meshes[0])
        if index == 0 and meshes and arguments.even:
            found |= problem.even_remainder(meshes[0])
        results |= {f"{model}/{name}": value for name, value in found.items()}
    if meshes:
        results["describe"] = np.array(funcnet.devices.describe(funcnet.devices.mesh(meshes[0])))
    np.savez(arguments.out, **results)


if __name__ == "__main__":
    main()
