"""Render a sequence of frames of a trained run from a viewpoint and write it as videos.

Output folder (``N`` frames at ``res``)::

    rgb.mp4 mask.mp4 depth.mp4 normal.mp4 xyz.mp4   one video per channel (see herd.render.frames)
    compare.mp4                                     input | render | normals (reference view only)
    cameras.json                                    per frame: global frame, obj2cam, intrinsics
    png/<channel>/NNNNN.png                         with --png
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from herd.atomic import atomic_dir
from herd.export.media import VideoWriter, write_png
from herd.geometry.raster import scale_intrinsics
from herd.model.model import FrameState
from herd.render.frames import CHANNELS, render_frame, to_uint8
from herd.render.viewpoints import Viewpoint, camera_path
from herd.run.loaded_run import LoadedRun


@torch.no_grad()
def sequence_states(
    run: LoadedRun, frames: np.ndarray, vp: Viewpoint, res: int, freeze: int | None = None, body: int | None = None
) -> FrameState:
    """The ``N`` frame states to render.

    Args:
        frames: ``(N,)`` global frames whose motion plays (their own reference cameras anchor the
            virtual ones).
        vp: viewpoint; res: output resolution (square).
        freeze: index into ``frames`` to hold time at (the camera still moves).
        body: video whose individual is shown (re-animation), default each frame's own.
    """
    m, dev = run.model, run.model.center.device
    ft = torch.as_tensor(frames, device=dev)
    motion = ft if freeze is None else ft[freeze].repeat(len(frames))
    code_video = None if body is None else torch.full_like(motion, body)
    st = m.frame_state(motion, code_video=code_video)
    ref = m.root_pose(ft).cpu().numpy()  # the reference cameras of the frames as they play
    cams = camera_path(vp, ref, m.center.cpu().numpy(), freeze)
    st.obj2cam = torch.tensor(cams, dtype=torch.float32, device=dev)
    K = scale_intrinsics(st.intrinsics.cpu().numpy(), res / run.cache.res, res / run.cache.res)
    st.intrinsics = torch.tensor(K, dtype=torch.float32, device=dev)
    return st


def render_sequence(
    run: LoadedRun,
    st: FrameState,
    res: int,
    out: Path,
    png: bool = False,
    fps: float = 10.0,
    reference_frames: np.ndarray | None = None,
    progress: bool = True,
) -> dict:
    """Render every frame of ``st`` and write the videos into ``out`` (atomically).

    Args:
        reference_frames: ``(N,)`` global frames whose input images go beside the render
            (``compare.mp4``), or None.
    Returns:
        ``{"frames": N, "seconds_per_frame": s, "mask_area": [...], "out": path}``.
    """
    import time

    m = run.model
    N = st.frames.shape[0]
    areas, t0 = [], time.perf_counter()
    with atomic_dir(out) as tmp:
        videos = {c: VideoWriter(tmp / f"{c}.mp4", fps) for c in CHANNELS}
        if reference_frames is not None:
            videos["compare"] = VideoWriter(tmp / "compare.mp4", fps)
        center = m.center.cpu().numpy()
        for i in tqdm(range(N), desc=f"render {out.name}", unit="frame", disable=not progress, dynamic_ncols=True):
            s = st.select(slice(i, i + 1))
            img = render_frame(m, s, res, run.proxy, run.rcfg)
            zc = float((s.obj2cam[0, :3, :3] @ m.center + s.obj2cam[0, :3, 3])[2])
            pics = {
                c: to_uint8(
                    c, img[c], img["mask"], (zc - 1.25 * m.extent, zc + 1.25 * m.extent), center, 1.25 * m.extent
                )
                for c in CHANNELS
            }
            areas.append(float((img["mask"] > 0.5).mean()))
            for c in CHANNELS:
                videos[c].add(pics[c])
                if png:
                    write_png(tmp / "png" / c / f"{i:05d}.png", pics[c])
            if reference_frames is not None:
                ref = np.asarray(run.cache.rgb[reference_frames[i]])
                ref = cv2.resize(ref, (res, res), interpolation=cv2.INTER_LINEAR)
                videos["compare"].add(np.concatenate([ref, pics["rgb"], pics["normal"]], 1))
        for v in videos.values():
            v.close()
        cams = [
            {"frame": int(f), "obj2cam": np.round(T, 6).tolist(), "intrinsics": np.round(K, 4).tolist()}
            for f, T, K in zip(st.frames.cpu().numpy(), st.obj2cam.cpu().numpy(), st.intrinsics.cpu().numpy())
        ]
        (tmp / "cameras.json").write_text(json.dumps({"resolution": [res, res], "frames": cams}, indent=1))
    return {
        "frames": N,
        "seconds_per_frame": (time.perf_counter() - t0) / max(N, 1),
        "mask_area": areas,
        "out": str(out),
    }
