"""Geometry metrics of posed meshes against ground truth: Chamfer distance and F-score after the
usual monocular alignment.

Protocol (docs/evaluation.md):
1. Sample ``n`` points uniformly by area on each mesh (fixed seed).
2. Scale: monocular reconstructions are up to one scale per video, so the predicted points are
   scaled about the camera centre by the ratio of median depths (true / predicted), which keeps the
   silhouette where it is.
3. Rigid ICP per frame (point-to-point, nearest neighbours by k-d tree, Kabsch updates), starting
   from the identity, so the remaining pose error of a frame does not count as shape error.
4. Chamfer distance: mean of the two mean nearest-neighbour distances (true units, metres for
   synthetic data). F-score at a threshold ``tau`` (1%, 2%, 5% of the true mesh's bounding-box
   diagonal): the harmonic mean of precision (predicted points within ``tau`` of the truth) and
   recall (true points within ``tau`` of the prediction).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

THRESHOLDS = (0.01, 0.02, 0.05)


def sample_surface(verts: np.ndarray, faces: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points ``(n, 3)`` uniformly by area on a triangle mesh."""
    rng = np.random.default_rng(seed)
    tri = verts[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    f = rng.choice(len(faces), size=n, p=area / area.sum())
    r1, r2 = rng.random(n), rng.random(n)
    s = np.sqrt(r1)
    return tri[f, 0] * (1 - s)[:, None] + tri[f, 1] * (s * (1 - r2))[:, None] + tri[f, 2] * (s * r2)[:, None]


def kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``(4, 4)`` rigid transform minimising ``|T src - dst|^2`` over matched ``(N, 3)`` points."""
    cs, cd = src.mean(0), dst.mean(0)
    U, _, Vt = np.linalg.svd((src - cs).T @ (dst - cd))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
    R = Vt.T @ D @ U.T
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, cd - R @ cs
    return T


def icp(src: np.ndarray, dst: np.ndarray, iters: int = 30, tol: float = 1e-7) -> np.ndarray:
    """Rigid point-to-point ICP of ``(N, 3)`` ``src`` onto ``(M, 3)`` ``dst``; returns ``(4, 4)``."""
    tree = cKDTree(dst)
    T = np.eye(4)
    cur = src
    prev = np.inf
    for _ in range(iters):
        d, j = tree.query(cur)
        err = float(np.mean(d ** 2))
        if prev - err < tol:
            break
        prev = err
        step = kabsch(cur, dst[j])
        T = step @ T
        cur = src @ T[:3, :3].T + T[:3, 3]
    return T


def depth_scale(pred: np.ndarray, true: np.ndarray) -> float:
    """Ratio of median camera depths (z) of true to predicted ``(N, 3)`` camera-space points."""
    return float(np.median(true[:, 2]) / np.median(pred[:, 2]))


@dataclasses.dataclass
class ShapeScores:
    """Per-frame geometry scores. Attributes: chamfer (true units); fscore: {tau: F in [0, 1]}."""

    chamfer: float
    fscore: dict[float, float]


def compare_points(pred: np.ndarray, true: np.ndarray, diagonal: float) -> ShapeScores:
    """Chamfer and F-scores of aligned ``(N, 3)`` and ``(M, 3)`` point sets; thresholds are
    fractions of ``diagonal``."""
    d_pt = cKDTree(true).query(pred)[0]
    d_tp = cKDTree(pred).query(true)[0]
    fs = {}
    for t in THRESHOLDS:
        p, r = float((d_pt < t * diagonal).mean()), float((d_tp < t * diagonal).mean())
        fs[t] = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return ShapeScores(chamfer=0.5 * float(d_pt.mean() + d_tp.mean()), fscore=fs)


def mesh_scores(pred_verts: np.ndarray, pred_faces: np.ndarray, true_verts: np.ndarray, true_faces: np.ndarray,
                scale: float | None = None, n: int = 5000, seed: int = 0, align: bool = True) -> ShapeScores:
    """Scores of one frame's predicted mesh against the true one (both camera space).

    Args:
        scale: the video's depth scale (see :func:`depth_scale`); None estimates it from this frame.
        align: run the per-frame rigid ICP after scaling.
    """
    p = sample_surface(pred_verts, pred_faces, n, seed)
    t = sample_surface(true_verts, true_faces, n, seed + 1)
    p = p * (depth_scale(p, t) if scale is None else scale)
    if align:
        T = icp(p, t)
        p = p @ T[:3, :3].T + T[:3, 3]
    diagonal = float(np.linalg.norm(true_verts.max(0) - true_verts.min(0)))
    return compare_points(p, t, diagonal)


def aligned_joint_error(pred: np.ndarray, true: np.ndarray, scale: float) -> float:
    """Mean distance between ``(J, 3)`` predicted and true joints (camera space) after the video's
    depth scale and a per-frame rigid fit (matched points, Kabsch)."""
    p = pred * scale
    T = kabsch(p, true)
    p = p @ T[:3, :3].T + T[:3, 3]
    return float(np.linalg.norm(p - true, axis=1).mean())
