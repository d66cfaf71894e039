"""Benchmarks: funcnet against hand-written JAX, its peers and PyTorch eager.

`python -m benchmarks` (or `make bench`) runs them; see `docs/benchmarks.md`. Modules:
`models` (the shared weights and data), `impl_jax`, `impl_peers`, `impl_torch` (the
same model in each framework), `tasks` and `worker` (what a worker process times),
`configs` (which cases are timed together), `harness` (the same-loss check and the
interleaved rounds) and `report` (JSON, Markdown, targets). Apart from those,
`activation_cost` (`python -m benchmarks.activation_cost`) times sigmoid against ReLU
beside XLA's count of their exponentials.
"""
