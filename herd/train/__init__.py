"""Training: pixel sampling, losses, the loop with checkpoints and rollback, and per-round
visualisations. What a run is (options, folders, checkpoints) is :mod:`herd.run`'s; nothing
depends on this package but the commands (``cli``) and the benchmarks (``bench``)."""
