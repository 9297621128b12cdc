"""Re-animation: the motion of video A (joint rotations, root pose, time-conditioned soft
deformation) performed by the individual of video B (morphology code, so shape, colour and bone
lengths), seen from video A's cameras.

``logdir/<run>/reanimate_<A>_on_<B>/``: the rendered channels as in ``herd render`` (see
:mod:`herd.export.sequence`), ``motion.json`` (A's motion with B's bone lengths) and
``animated.glb`` (B's mesh and skeleton playing A's motion).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from herd.export.exporter import gltf_animation
from herd.export.mesh import extract_canonical_mesh
from herd.export.motion import motion_record
from herd.export.sequence import render_sequence, sequence_states
from herd.render.viewpoints import Viewpoint
from herd.run.loaded_run import LoadedRun


def reanimation_dir(run: LoadedRun, motion_video: int, body_video: int) -> Path:
    return run.run_dir / f"reanimate_{motion_video:04d}_on_{body_video:04d}"


@torch.no_grad()
def reanimate(
    run: LoadedRun,
    motion_video: int,
    body_video: int,
    res: int,
    grid_size: int = 128,
    png: bool = False,
    fps: float = 10.0,
    progress: bool = True,
    max_faces: int = 0,
) -> dict:
    """Render and export A's motion on B's body; returns the render summary. ``grid_size`` and
    ``max_faces`` shape the glTF's mesh as in :func:`herd.export.mesh.extract_canonical_mesh`."""
    from herd.export.gltf import write_glb

    m = run.model
    frames = run.cache.video_frames(motion_video)
    out = reanimation_dir(run, motion_video, body_video)
    st = sequence_states(run, frames, Viewpoint("ref"), res, body=body_video)
    summary = render_sequence(run, st, res, out, png=png, fps=fps, progress=progress)
    # the same motion at the training resolution for the exported files
    st_train = m.frame_state(
        torch.as_tensor(frames, device=m.center.device),
        code_video=torch.full((len(frames),), body_video, device=m.center.device),
    )
    rec = motion_record(m, st_train, run.cache.frame_index[frames], run.cache.res, motion_video, body=body_video)
    (out / "motion.json").write_text(json.dumps(rec))
    if m.skeleton is not None:
        mesh = extract_canonical_mesh(m, body_video, grid_size, max_faces)
        name = f"{run.video_names[motion_video]}_on_{run.video_names[body_video]}"
        write_glb(out / "animated.glb", gltf_animation(run, mesh, st_train, fps, name))
    return summary
