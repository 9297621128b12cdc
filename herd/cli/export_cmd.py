"""``herd export``: meshes, motion and an animated glTF of one individual of a trained run (the
tutorial's ``export.py``)."""

from __future__ import annotations

import time

from herd.cli.output_options import ExportOptions, open_trained_run


def run(argv: list[str]) -> int:
    t0 = time.perf_counter()
    run_, eo = open_trained_run("export", argv, ExportOptions)
    from herd.export.exporter import export_individual

    v = run_.check_video("inst_id", eo.inst_id)
    out = export_individual(run_, v, eo.grid_size, progress=not run_.opts.quiet, max_faces=eo.max_faces)
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0
