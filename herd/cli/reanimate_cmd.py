"""``herd reanimate --motion_id A --inst_id B``: video A's motion on individual B's body, seen
from A's cameras (the tutorial's ``reanimate.py``)."""

from __future__ import annotations

from herd.cli.output_options import ReanimateOptions, open_trained_run
from herd.errors import HerdInputError


def _check(ro: ReanimateOptions) -> None:
    if ro.render_res < 8:
        raise HerdInputError(f"--render_res {ro.render_res}: too small; use at least 8 pixels")


def run(argv: list[str]) -> int:
    run_, ro = open_trained_run("reanimate", argv, ReanimateOptions, _check)
    from herd.export.reanimate import reanimate

    a = run_.check_video("motion_id", ro.motion_id)
    b = run_.check_video("inst_id", ro.inst_id)
    res = reanimate(
        run_, a, b, ro.render_res, ro.grid_size, ro.png, ro.fps, progress=not run_.opts.quiet, max_faces=ro.max_faces
    )
    print(
        f"wrote {res['out']} (motion of video {a} on individual {b}, {res['frames']} frames, "
        f"{res['seconds_per_frame']:.2f} s per frame)"
    )
    return 0
