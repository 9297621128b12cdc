"""Geometry metrics of posed meshes against ground truth, under the field's two protocols.

Both compare, frame by frame, points sampled uniformly by area on the predicted and the true posed
mesh (camera space, OpenCV, true units: metres for synthetic data); they differ in how much
alignment they grant (``docs/evaluation.md``):

- **BANMo's, per frame** (:func:`per_frame_scores`): each frame's predicted points are scaled
  about the camera centre by the ratio of median depths (true / predicted), which keeps the
  silhouette in place, then aligned to the truth by rigid ICP, so neither a frame's monocular
  scale nor its residual root-pose error counts. F-scores at 2 %, 5 % and 10 % of the true
  mesh's longest bounding-box edge in that frame.
- **Lab4D/PPR's, per sequence** (:func:`sequence_scores`): one similarity transform for all frames
  of a video (one scale about the camera centre, the median over frames of the median-depth
  ratios, then one rigid transform fitted by ICP to all frames at once), so root-pose drift and
  scale drift over time count. F-scores at 2, 5 and 10 cm. The scale is not left to the ICP:
  nearest-neighbour matches bias a fitted scale towards shrinking whenever frames disagree.

Chamfer distance is the *sum* of the two mean nearest-neighbour distances (predicted to true and
true to predicted), reported in centimetres (true units x 100); F-score at a threshold is the
harmonic mean of precision (predicted points within it of the true ones) and recall (the converse).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

#: protocol version written with every geometry result (1: the half-sum Chamfer in metres and
#: F-scores at 1/2/5 % of the bounding-box diagonal, used before 2026-12-06)
GEOMETRY_PROTOCOL = 2
#: BANMo's thresholds: fractions of the true mesh's longest bounding-box edge
RELATIVE_THRESHOLDS = (0.02, 0.05, 0.10)
#: Lab4D/PPR's thresholds, in true units (metres)
ABSOLUTE_THRESHOLDS = (0.02, 0.05, 0.10)


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


def _apply(T: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p @ T[:3, :3].T + T[:3, 3]


def icp(src: np.ndarray, dst: np.ndarray, iters: int = 30, tol: float = 1e-7) -> np.ndarray:
    """Rigid point-to-point ICP of ``(N, 3)`` ``src`` onto ``(M, 3)`` ``dst`` from the identity;
    returns ``(4, 4)``."""
    return joint_icp([src], [dst], iters=iters, tol=tol)


def joint_icp(srcs: list[np.ndarray], dsts: list[np.ndarray], iters: int = 30, tol: float = 1e-7) -> np.ndarray:
    """One rigid transform for several pairs of point sets (frames): nearest neighbours are found
    within each pair, the transform is fitted to all matches at once; from the identity. Returns
    ``(4, 4)``."""
    trees = [cKDTree(d) for d in dsts]
    T = np.eye(4)
    prev = np.inf
    for _ in range(iters):
        cur = [_apply(T, s) for s in srcs]
        matches = [tree.query(c) for tree, c in zip(trees, cur)]
        err = float(np.mean(np.concatenate([d**2 for d, _ in matches])))
        if prev - err < tol:
            break
        prev = err
        step = kabsch(np.concatenate(cur), np.concatenate([dst[j] for dst, (_, j) in zip(dsts, matches)]))
        T = step @ T
    return T


def depth_scale(pred: np.ndarray, true: np.ndarray) -> float:
    """Ratio of median camera depths (z) of true to predicted ``(N, 3)`` camera-space points."""
    return float(np.median(true[:, 2]) / np.median(pred[:, 2]))


def longest_edge(points: np.ndarray) -> float:
    """Longest edge of the axis-aligned bounding box of ``(N, 3)`` points."""
    return float((points.max(0) - points.min(0)).max())


@dataclasses.dataclass
class ShapeScores:
    """Geometry scores of one frame (or their mean over frames).

    Attributes:
        chamfer: sum of the two mean nearest-neighbour distances, true units.
        fscore: ``{threshold: F in [0, 1]}``; thresholds in true units.
    """

    chamfer: float
    fscore: dict[float, float]


def compare_points(pred: np.ndarray, true: np.ndarray, thresholds: tuple[float, ...]) -> ShapeScores:
    """Chamfer (sum of both directions) and F-scores of aligned ``(N, 3)`` and ``(M, 3)`` point
    sets; ``thresholds`` in the points' units."""
    d_pt = cKDTree(true).query(pred)[0]
    d_tp = cKDTree(pred).query(true)[0]
    fs = {}
    for t in thresholds:
        p, r = float((d_pt < t).mean()), float((d_tp < t).mean())
        fs[t] = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return ShapeScores(chamfer=float(d_pt.mean() + d_tp.mean()), fscore=fs)


def per_frame_scores(preds: list[np.ndarray], trues: list[np.ndarray], align: bool = True) -> list[ShapeScores]:
    """BANMo's protocol on point sets sampled from each frame's meshes (``(N, 3)`` and ``(M, 3)``,
    camera space): per frame, scale about the camera centre by :func:`depth_scale`, rigid ICP
    (``align``), then Chamfer and F at :data:`RELATIVE_THRESHOLDS` of the true points' longest
    bounding-box edge. ``fscore`` is keyed by the fraction (0.02, 0.05, 0.1)."""
    out = []
    for raw, t in zip(preds, trues):
        p = raw * depth_scale(raw, t)
        if align:
            p = _apply(icp(p, t), p)
        edge = longest_edge(t)
        s = compare_points(p, t, tuple(f * edge for f in RELATIVE_THRESHOLDS))
        out.append(ShapeScores(s.chamfer, dict(zip(RELATIVE_THRESHOLDS, s.fscore.values()))))
    return out


def sequence_scores(preds: list[np.ndarray], trues: list[np.ndarray]) -> list[ShapeScores]:
    """Lab4D/PPR's protocol on the point sets of a whole sequence (one video): one scale about the
    camera centre (median over frames of :func:`depth_scale`), then one rigid transform for all
    frames by joint ICP (:func:`joint_icp`), then per frame Chamfer and F at
    :data:`ABSOLUTE_THRESHOLDS`. Root-pose or scale drift between frames is not aligned away."""
    s0 = float(np.median([depth_scale(p, t) for p, t in zip(preds, trues)]))
    preds = [p * s0 for p in preds]
    T = joint_icp(preds, trues)
    return [compare_points(_apply(T, p), t, ABSOLUTE_THRESHOLDS) for p, t in zip(preds, trues)]


def mean_scores(scores: list[ShapeScores]) -> ShapeScores:
    """The mean over frames."""
    return ShapeScores(
        float(np.mean([s.chamfer for s in scores])),
        {k: float(np.mean([s.fscore[k] for s in scores])) for k in scores[0].fscore},
    )


def aligned_joint_error(pred: np.ndarray, true: np.ndarray, scale: float) -> float:
    """Mean distance between ``(J, 3)`` predicted and true joints (camera space) after the video's
    depth scale and a per-frame rigid fit (matched points, Kabsch)."""
    p = pred * scale
    p = _apply(kabsch(p, true), p)
    return float(np.linalg.norm(p - true, axis=1).mean())
