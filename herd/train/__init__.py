"""Training: options and flagfiles, pixel sampling, losses, the loop with checkpoints and rollback,
and per-round visualisations. Depends on data, model and render; nothing depends on it but the
commands that load a trained run (render, export, eval)."""
