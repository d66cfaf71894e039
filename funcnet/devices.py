"""Devices and meshes: where a computation runs when there is more than one device.

funcnet's data parallelism is JAX's own: a `jax.sharding.Mesh` names the devices, a
`NamedSharding` says how an array is laid over them, and XLA's SPMD partitioner
inserts the communication (the all-reduce of the gradients). This module only builds
meshes with clear errors and names the few shardings training uses: every array
*replicated* (params, optimizer state), or *split* along one array dimension over the
mesh's axis (the examples of a batch, the runs of a sweep).

On a CPU, JAX shows one device; `XLA_FLAGS=--xla_force_host_platform_device_count=4`,
set before JAX starts, simulates four. Across several hosts, after
`jax.distributed.initialize()`, `jax.devices()` lists every host's devices and a mesh
over them spans the hosts.

Examples:
    >>> import funcnet.devices
    >>> grid = funcnet.devices.mesh(1)
    >>> funcnet.devices.describe(grid)
    "1 device of kind 'cpu' (platform cpu) in 1 process; mesh batch=1"
    >>> funcnet.devices.split(grid, dim=1).spec
    P(None, 'batch')
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from funcnet._validate import integer, positive_int

__all__ = [
    "constrain",
    "count",
    "describe",
    "mesh",
    "pad_examples",
    "replicate",
    "replicated",
    "split",
    "split_batches",
]

#: The mesh axis that batches are split over, unless a caller names another.
BATCH = "batch"

DevicesLike = int | Sequence[jax.Device] | Mesh | None

_SIMULATE = (
    "On a CPU, simulate N devices by setting "
    "XLA_FLAGS=--xla_force_host_platform_device_count=N before JAX starts (before "
    "`import jax`, e.g. in the shell that runs Python)."
)


def mesh(devices: DevicesLike = None, axis: str = BATCH) -> Mesh:
    """A one-axis `Mesh` over some of `jax.devices()`, or a given mesh, checked.

    Args:
        devices: None for every device `jax.devices()` lists (on several hosts: all
            hosts' devices); an int N for the first N of them; a sequence of
            `jax.Device`s; or a `Mesh`, returned as it is once it has an axis `axis`.
        axis: the name of the mesh axis (the one arrays are split over).

    Returns:
        A `jax.sharding.Mesh` with the axis `axis`.

    Raises:
        TypeError: if `devices` is none of the above, or a sequence holds something
            other than `jax.Device`s.
        ValueError: if N is not positive or exceeds `len(jax.devices())`, the
            sequence is empty or repeats a device, or a given mesh has no axis `axis`.

    Examples:
        >>> import jax, funcnet.devices
        >>> dict(funcnet.devices.mesh().shape)
        {'batch': 1}
        >>> funcnet.devices.mesh(jax.devices()[:1], axis="runs").axis_names
        ('runs',)
        >>> funcnet.devices.mesh(len(jax.devices()) + 1)
        Traceback (most recent call last):
        ...
        ValueError: devices=2 asks for 2 devices, but jax.devices() lists 1 (cpu). ...
    """
    if not isinstance(axis, str) or not axis:
        raise TypeError(f"mesh: axis must be a non-empty str, got {axis!r}.")
    if isinstance(devices, Mesh):
        if axis not in devices.axis_names:
            raise ValueError(
                f"mesh: the given Mesh has axes {devices.axis_names}, but funcnet splits "
                f"over an axis named {axis!r}; name one of its axes {axis!r}, or build "
                f"it with funcnet.devices.mesh(devices, axis={axis!r})."
            )
        return devices
    if devices is None:
        chosen = jax.devices()
    elif isinstance(devices, (int, np.integer, bool)):
        chosen = _first(positive_int(devices, "devices", "mesh"))
    elif isinstance(devices, Sequence) and not isinstance(devices, str):
        chosen = _listed(devices)
    else:
        raise TypeError(
            "mesh: devices must be None (every device), an int (that many), a sequence "
            f"of jax.Device or a jax.sharding.Mesh, got {type(devices).__name__}."
        )
    return Mesh(np.array(chosen, dtype=object), (axis,))


def _first(wanted: int) -> list[jax.Device]:
    available = jax.devices()
    if wanted > len(available):
        platforms = ", ".join(sorted({device.platform for device in available}))
        raise ValueError(
            f"devices={wanted} asks for {wanted} devices, but jax.devices() lists "
            f"{len(available)} ({platforms}). Ask for at most {len(available)}. {_SIMULATE}"
        )
    return available[:wanted]


def _listed(devices: Sequence[Any]) -> list[jax.Device]:
    devices = list(devices)
    if not devices:
        raise ValueError("mesh: devices is an empty sequence; give at least one jax.Device.")
    wrong = [type(device).__name__ for device in devices if not isinstance(device, jax.Device)]
    if wrong:
        raise TypeError(
            f"mesh: devices must hold jax.Device values (from jax.devices()), got {wrong[0]}."
        )
    if len(set(devices)) != len(devices):
        raise ValueError(f"mesh: devices lists a device more than once: {devices}.")
    return devices


def count(grid: Mesh, axis: str = BATCH) -> int:
    """How many ways the mesh's axis `axis` splits an array: its size.

    Args:
        grid: the mesh.
        axis: one of its axis names.

    Returns:
        The number of devices along `axis`.

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.count(funcnet.devices.mesh(1))
        1
    """
    return int(grid.shape[axis])


def describe(grid: Mesh) -> str:
    """One line naming the device kind, the device count, the processes and the mesh.

    Args:
        grid: the mesh, e.g. from `mesh`.

    Returns:
        E.g. `"4 devices of kind 'NVIDIA H100' (platform gpu) in 2 processes; mesh
        batch=4"`: what `funcnet train --devices N` prints before training.

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.describe(funcnet.devices.mesh(1))
        "1 device of kind 'cpu' (platform cpu) in 1 process; mesh batch=1"
    """
    devices = list(grid.devices.flat)
    kinds = ", ".join(repr(kind) for kind in sorted({d.device_kind for d in devices}))
    platforms = ", ".join(sorted({device.platform for device in devices}))
    processes = len({device.process_index for device in devices})
    shape = " x ".join(f"{name}={size}" for name, size in grid.shape.items())
    return (
        f"{_plural(len(devices), 'device')} of kind {kinds} (platform {platforms}) in "
        f"{_plural(processes, 'process', 'processes')}; mesh {shape}"
    )


def _plural(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def replicated(grid: Mesh) -> NamedSharding:
    """The sharding that puts a whole copy of an array on every device of `grid`.

    Args:
        grid: the mesh.

    Returns:
        `NamedSharding(grid, PartitionSpec())`.

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.replicated(funcnet.devices.mesh(1)).spec
        P()
    """
    return NamedSharding(grid, PartitionSpec())


def split(grid: Mesh, dim: int = 0, axis: str = BATCH) -> NamedSharding:
    """The sharding that splits array dimension `dim` over the mesh axis `axis`.

    Every other dimension is whole on each device. An array given this sharding
    must have a size along `dim` that the axis's device count divides.

    Args:
        grid: the mesh.
        dim: the array dimension to split (0 for the examples of a batch `(B, ...)`,
            1 for those of a stack of batches `(steps, B, ...)`).
        axis: the mesh axis to split it over.

    Returns:
        `NamedSharding(grid, PartitionSpec(None, ..., axis))`, `axis` at `dim`.

    Raises:
        TypeError, ValueError: if `dim` is not an int >= 0.

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.split(funcnet.devices.mesh(1), dim=2).spec
        P(None, None, 'batch')
    """
    dim = integer(dim, "dim", "split", minimum=0)
    return NamedSharding(grid, PartitionSpec(*([None] * dim), axis))


def replicate(tree: Any, grid: Mesh) -> Any:
    """Every array of a pytree (params, optimizer state, a dataset) copied to every device.

    Typed PRNG keys are placed too, also on a mesh that spans several processes, where
    `jax.device_put` refuses them (they travel as their `uint32` key data). On such a
    mesh every process must pass the same values.

    Args:
        tree: a pytree of arrays (JAX or numpy) and scalars.
        grid: the mesh.

    Returns:
        The same pytree, every leaf a `jax.Array` with the `replicated(grid)` sharding.

    Examples:
        >>> import jax.numpy as jnp, funcnet.devices
        >>> grid = funcnet.devices.mesh(1)
        >>> funcnet.devices.replicate({"w": jnp.ones(3)}, grid)["w"].sharding.spec
        P()
    """
    return jax.tree_util.tree_map(functools.partial(_put, sharding=replicated(grid)), tree)


def _put(leaf: Any, sharding: NamedSharding) -> jax.Array:
    """`jax.device_put`, with typed keys sent as their raw data and wrapped again."""
    if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
        data = jax.device_put(jax.random.key_data(leaf), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
    return jax.device_put(leaf, sharding)


def split_batches(
    size: int, grid: Mesh, owner: str, what: str = "batch_size", axis: str = BATCH
) -> int:
    """Check that `size` examples split evenly over the mesh's batch axis.

    Args:
        size: the number of examples in each batch.
        grid: the mesh.
        owner: the function that asked, for the message.
        what: what `size` is called there.
        axis: the mesh axis batches are split over.

    Returns:
        The examples each device gets, `size // count(grid, axis)`.

    Raises:
        ValueError: if the batch axis's device count does not divide `size`.

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.split_batches(32, funcnet.devices.mesh(1), "fit")
        32
    """
    shards = count(grid, axis)
    if size % shards:
        below, above = size - size % shards, size - size % shards + shards
        nearest = f"{below} or {above}" if below else f"{above}"
        raise ValueError(
            f"{owner}: {what}={size} does not split evenly over the mesh's {shards} "
            f"devices along {axis!r}: every device must get the same number of examples "
            f"in a step. Pick a multiple of {shards}, e.g. {nearest}."
        )
    return size // shards


def constrain(tree: Any, grid: Mesh, dim: int = 0, axis: str = BATCH) -> Any:
    """Inside `jax.jit`: split dimension `dim` of every array over `axis`, else replicate.

    An array whose size along `dim` the axis's device count divides is split
    (`jax.lax.with_sharding_constraint`); any other is kept whole on every device,
    so its computation is repeated on each instead of padded.

    Args:
        tree: a pytree of arrays being traced.
        grid: the mesh.
        dim: the dimension that holds the examples.
        axis: the mesh axis to split it over.

    Returns:
        The same values, with their sharding constrained.

    Examples:
        >>> import jax, jax.numpy as jnp, funcnet.devices
        >>> grid = funcnet.devices.mesh(1)
        >>> split_rows = jax.jit(lambda x: funcnet.devices.constrain(x, grid))
        >>> split_rows(jnp.ones((4, 3))).shape  # on 4 devices, each holds 1 row
        (4, 3)
    """

    def place(leaf: jax.Array) -> jax.Array:
        whole = leaf.shape[dim] % count(grid, axis)
        sharding = replicated(grid) if whole else split(grid, dim, axis)
        return jax.lax.with_sharding_constraint(leaf, sharding)

    return jax.tree_util.tree_map(place, tree)


def pad_examples(x: jax.Array, grid: Mesh, axis: str = BATCH) -> jax.Array:
    """`x: (N, ...)` grown to a multiple of the axis's device count by repeating its rows.

    The added rows are copies of the first ones (valid inputs for any layer, class
    indices included); a forward pass that treats examples independently gives the
    first N outputs unchanged, and the caller drops the rest. On 4 devices,
    `[0, 1, 2]` becomes `[0, 1, 2, 0]`.

    Args:
        x: `(N, ...)` inputs.
        grid: the mesh.
        axis: the mesh axis the examples are split over.

    Returns:
        `(M, ...)`, with `M` the smallest multiple of `count(grid, axis)` >= `N`.

    Examples:
        >>> import jax.numpy as jnp, funcnet.devices
        >>> funcnet.devices.pad_examples(jnp.arange(3), funcnet.devices.mesh(1)).tolist()
        [0, 1, 2]
    """
    missing = -x.shape[0] % count(grid, axis)
    if not missing:
        return x
    return jnp.pad(x, [(0, missing)] + [(0, 0)] * (x.ndim - 1), mode="wrap")
