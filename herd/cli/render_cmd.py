"""``herd render``: re-render a video of a trained run from its own cameras, a turntable or a
bird's-eye view (the tutorial's ``render.py``)."""

from __future__ import annotations

import numpy as np

from herd.cli.output_options import RenderOptions, open_trained_run
from herd.errors import HerdInputError


def _check(ro: RenderOptions) -> None:
    from herd.render.viewpoints import parse_viewpoint

    parse_viewpoint(ro.viewpoint)


def run(argv: list[str]) -> int:
    run_, ro = open_trained_run("render", argv, RenderOptions, _check)
    from herd.export.sequence import render_sequence, sequence_states
    from herd.render.viewpoints import parse_viewpoint

    vp = parse_viewpoint(ro.viewpoint)
    v = run_.check_video("inst_id", ro.inst_id)
    frames = run_.cache.video_frames(v)
    freeze = None
    if ro.freeze_id >= 0:
        if ro.freeze_id >= len(frames):
            raise HerdInputError(f"--freeze_id {ro.freeze_id}: video {v} has frames 0..{len(frames) - 1}")
        frames = np.full(ro.num_frames or len(frames), frames[ro.freeze_id])
        freeze = 0
    st = sequence_states(run_, frames, vp, ro.render_res, freeze)
    out = run_.run_dir / f"renderings_{v:04d}" / (vp.name + (f"-freeze{ro.freeze_id}" if freeze is not None else ""))
    res = render_sequence(
        run_,
        st,
        ro.render_res,
        out,
        png=ro.png,
        fps=ro.fps,
        reference_frames=frames if vp.kind == "ref" else None,
        progress=not run_.opts.quiet,
    )
    print(
        f"wrote {out} ({res['frames']} frames at {ro.render_res}x{ro.render_res}, "
        f"{res['seconds_per_frame']:.2f} s per frame)"
    )
    return 0
