"""How true the rendered surface is: normals and depth of the reference view against the
synthetic ground-truth mesh seen from the same camera, and how striped a normal video is.

Both renders are in the camera of the input image (OpenCV), so camera-space normals compare
pixel by pixel with no alignment; depth is compared after one scale per frame (the median ratio
over the pixels both cover), since a monocular reconstruction is right only up to scale.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from herd.evaluation.masks import intrinsics_at
from herd.evaluation.truth import VideoTruth
from herd.geometry.raster import rasterize, vertex_normals
from herd.render.frames import normals_from_depth, render_frame
from herd.run.loaded_run import LoadedRun


@dataclasses.dataclass
class SurfaceScores:
    """Per-frame means over the pixels both the render and the true mesh cover.

    Attributes:
        normal_deg: ``(F,)`` angle between rendered (from the SDF's gradient) and true normals.
        normal_deg_from_depth: ``(F,)`` the same for normals differentiated from the
            volume-rendered depth (what renders showed before surfaces came from the field).
        depth_err: ``(F,)`` mean absolute error of the zero-crossing depth, as a fraction of the
            true depth; depth_err_volume: ``(F,)`` the same for the volume-rendered depth.
    """

    normal_deg: np.ndarray
    normal_deg_from_depth: np.ndarray
    depth_err: np.ndarray
    depth_err_volume: np.ndarray


def angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(N,)`` angles in degrees between ``(N, 3)`` vectors."""
    cos = (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _depth_error(pred: np.ndarray, true: np.ndarray) -> float:
    scale = np.median(pred) / np.median(true)
    return float(np.mean(np.abs(pred / scale - true) / true))


@torch.no_grad()
def reference_surface_scores(run: LoadedRun, truth: VideoTruth, video: int, stride: int = 1) -> SurfaceScores:
    """:class:`SurfaceScores` of every ``stride``-th frame of ``video`` at the training resolution."""
    m, res = run.model, run.cache.res
    faces = truth.gt.rest_mesh(truth.name)["faces"]
    verts = truth.array("posed_verts_cam")
    frames = run.cache.video_frames(video)
    out: dict[str, list[float]] = {f.name: [] for f in dataclasses.fields(SurfaceScores)}
    for i in range(0, len(frames), stride):
        st = m.frame_state(torch.tensor([int(frames[i])], device=m.center.device))
        img = render_frame(m, st, res, run.proxy, run.rcfg)
        K = intrinsics_at(truth.intrinsics[i], truth.size, res)
        ras = rasterize(verts[i], faces, K, res, res)
        both = ras.mask & (img["mask"] > 0.5)
        if both.sum() < 4:
            continue
        n_true = ras.interpolate(faces, vertex_normals(verts[i], faces))  # row-major over ras.mask
        n_true = n_true[both[ras.mask]]
        from_depth = normals_from_depth(img["depth_volume"], st.intrinsics[0].cpu().numpy(), img["mask"] > 0.5)
        out["normal_deg"].append(float(angle_deg(img["normal"][both], n_true).mean()))
        out["normal_deg_from_depth"].append(float(angle_deg(from_depth[both], n_true).mean()))
        out["depth_err"].append(_depth_error(img["depth"][both], ras.depth[both]))
        out["depth_err_volume"].append(_depth_error(img["depth_volume"][both], ras.depth[both]))
    return SurfaceScores(**{k: np.array(v) for k, v in out.items()})


def neighbour_difference(normal: np.ndarray, mask: np.ndarray) -> float:
    """How striped a normal video is: the mean over pixels inside the mask of the absolute
    difference to the right and lower neighbours (both inside), summed over the three channels.

    Args:
        normal: ``(N, H, W, 3)`` uint8 normal-map frames (as in ``normal.mp4``).
        mask: ``(N, H, W)`` bool, the object.
    Returns:
        the mean per pixel and neighbour, in units of the full colour range (0 to 3).
    """
    n = normal.astype(np.float64) / 255.0
    diffs = []
    for axis in (1, 2):
        a = np.take(n, range(n.shape[axis] - 1), axis=axis)
        b = np.take(n, range(1, n.shape[axis]), axis=axis)
        ma = np.take(mask, range(mask.shape[axis] - 1), axis=axis)
        mb = np.take(mask, range(1, mask.shape[axis]), axis=axis)
        diffs.append(np.abs(a - b).sum(-1)[ma & mb])
    d = np.concatenate(diffs)
    return float(d.mean()) if d.size else float("nan")
