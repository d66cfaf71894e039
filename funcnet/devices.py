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

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from funcnet._validate import positive_int

__all__ = [
    "count",
    "describe",
    "mesh",
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

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.count(funcnet.devices.mesh(1))
        1
    """
    return int(grid.shape[axis])


def describe(grid: Mesh) -> str:
    """One line naming the device kind, the device count, the processes and the mesh.

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

    Examples:
        >>> import funcnet.devices
        >>> funcnet.devices.split(funcnet.devices.mesh(1), dim=2).spec
        P(None, None, 'batch')
    """
    dim = positive_int(dim + 1, "dim + 1", "split") - 1  # dim must be >= 0
    return NamedSharding(grid, PartitionSpec(*([None] * dim), axis))


def replicate(tree: Any, grid: Mesh) -> Any:
    """Every array of a pytree (params, optimizer state, a dataset) copied to every device.

    Examples:
        >>> import jax.numpy as jnp, funcnet.devices
        >>> grid = funcnet.devices.mesh(1)
        >>> funcnet.devices.replicate({"w": jnp.ones(3)}, grid)["w"].sharding.spec
        P()
    """
    return jax.device_put(tree, replicated(grid))


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
