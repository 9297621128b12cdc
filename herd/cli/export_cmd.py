"""``herd export``: meshes, motion and an animated glTF of one individual of a trained run (the
tutorial's ``export.py``)."""

from __future__ import annotations

import time

from herd.cli.output_options import ExportOptions, open_trained_run
from herd.errors import HerdInputError


def _check(eo: ExportOptions) -> None:
    if not 8 <= eo.grid_size <= 1024:
        raise HerdInputError(f"--grid_size {eo.grid_size}: use 8 to 1024 cells per side")


def run(argv: list[str]) -> int:
    t0 = time.perf_counter()
    run_, eo = open_trained_run("export", argv, ExportOptions, _check)
    from herd.export.exporter import export_individual

    v = run_.check_video("inst_id", eo.inst_id)
    out = export_individual(run_, v, eo.grid_size, progress=not run_.opts.quiet)
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0
