"""``--init_pose search``: when a dataset has no pose cue (initial poses from the masks only: upright,
seen from the left, placed by the mask), find each frame's root orientation from its silhouette.

Animals in casual videos turn: the DAVIS dog walks across the frame, towards the camera and away
again within 60 frames, so one orientation per video cannot be right for most of it. The search is
per frame, and consistent over time:

1. **Candidates**: the initial rotation turned about the object's up axis (+y) in 15-degree steps,
   with the camera raised about its own x axis by -15..+45 degrees in 15-degree steps (24 x 5 = 120
   per frame, :func:`herd.geometry.transforms.view_rotations`): the viewpoints of a camera circling
   an upright animal at a height. (Pitching the object about its own left-right axis instead, as
   before 2026-12-06, cannot show a side view from above: the cameras of herd synth's quadruped
   videos were up to 31 degrees from the nearest such candidate, 10 from the nearest of these.)
2. **Score**: the silhouette of the category's typical body (tapered capsules along the rest
   skeleton, :mod:`herd.data.body_shape`; the initial shape for other skeletons), as points sampled
   inside it and projected with the frame's intrinsics, against the frame's mask, both
   normalised for position and size (centroid at the origin, area 1), so that only the *shape* of
   the outline decides and the rough translation and depth of the initial pose do not.
3. **Path**: a Viterbi pass over the frames of a video picks the sequence of candidates with the best
   total score minus a turning cost, ``(angle between neighbouring frames / 30 degrees)^2`` times
   :data:`TURN_COST`, which keeps the orientation from jumping between look-alike silhouettes.
4. The chosen rotations are smoothed in time (Gaussian, 2 frames) and the translation re-placed so
   that the centre of the canonical box, not the object origin on the ground, sits on the mask's
   centroid ray, at the depth where the typical body *at the chosen orientation* covers as many
   pixels as the mask (smoothed in time, Gaussian, :data:`DEPTH_SMOOTH_FRAMES`). The initial depth
   assumes a round object (the mask's area alone), so an animal seen head-on was put about 1.4
   times too far away and one seen from the side too close; the fit seldom recovers depth, which
   one view barely shows, and the held-out views pay for every per-cent of it.

A silhouette does not say which way along the line of sight a body faces: turned towards the camera
or away by the same angle, a left-right symmetric body casts the same outline (up to perspective).
The path picks one of the two and the training's photometric and flow terms work on from there.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from herd.data.body_shape import RADII, body_segments, inside_body
from herd.geometry.transforms import UPRIGHT_SIDE_VIEW, VIEW_ELEVATIONS, VIEW_YAWS, smooth_poses, view_rotations
from herd.train.init_shape import target_sdf

YAWS, ELEVATIONS = VIEW_YAWS, VIEW_ELEVATIONS
GRID = 40  # normalised silhouette raster, GRID x GRID cells
SPAN = 2.2  # half-width of that raster, in units of sqrt(silhouette area)
SUPER = 4  # the template is rasterised this much finer, then pooled
TURN_COST = 0.05
BLUR = 1.5  # Gaussian blur (raster cells) of both silhouettes before the soft IoU
THICKNESS = 1.5  # factor on the typical body's radii
SMOOTH_FRAMES = 2.0
DEPTH_SMOOTH_FRAMES = 3.0
#: weight per nat of a viewpoint cue's log-probability beside the silhouette score (1 per unit of
#: IoU), and the floor of the log-probabilities (a cue sure of the wrong bin must not veto the
#: silhouette). On the tuning category (quad-6, seed 1, images and masks through herd preprocess)
#: the median error of the initial rotations was 17.7 degrees from the silhouette alone, 6.0 from
#: herd's first cue network alone, 11.8 / 6.4 / 5.9 / 6.3 with both at weights 0.05 / 0.5 / 1 / 3; 6.8 with the shipped one at 1
#: (docs/preprocess.md); the silhouette stays in for videos unlike the network's training data
VIEW_CUE_WEIGHT = 1.0
VIEW_LOGP_FLOOR = -6.0


def candidates(base: np.ndarray) -> np.ndarray:
    """``(C, 3, 3)`` candidate object-to-camera rotations around the ``(3, 3)`` initial one
    (``YAWS x ELEVATIONS``, :func:`herd.geometry.transforms.view_rotations`)."""
    return view_rotations(base, YAWS, ELEVATIONS)


def template_points(model, n: int = 20000, seed: int = 0) -> torch.Tensor:
    """``(n, 3)`` points inside the category's typical body (:mod:`herd.data.body_shape`) on the
    model's rest skeleton, or inside the initial shape for other skeletons; canonical frame, metres."""
    rng = np.random.default_rng(seed)
    skel = model.skeleton
    if skel is not None and skel.name in RADII:
        segs = body_segments(skel, np.asarray(skel.rest_joints, np.float64), np.full(skel.num_joints - 1, THICKNESS))
        inside = lambda x: inside_body(x, segs)  # noqa: E731
    else:
        sdf = target_sdf(model)
        inside = lambda x: sdf(torch.tensor(x, dtype=torch.float32)).numpy() < 0  # noqa: E731
    lo = (model.center - 1.2 * model.extent).cpu().numpy()
    hi = (model.center + 1.2 * model.extent).cpu().numpy()
    pts: list[np.ndarray] = []
    while sum(len(p) for p in pts) < n:
        x = lo + (hi - lo) * rng.random((20000, 3))
        pts.append(x[inside(x)])
    return torch.tensor(np.concatenate(pts)[:n], dtype=torch.float32)


def _close(occ: torch.Tensor) -> torch.Tensor:
    """Morphological closing (3x3) of ``(B, G, G)`` occupancy: fills the gaps between splatted points."""
    x = torch.nn.functional.max_pool2d(occ[:, None], 3, 1, 1)
    return -torch.nn.functional.max_pool2d(-x, 3, 1, 1)[:, 0]


def _splat(uv: torch.Tensor, lo: torch.Tensor, cell: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, N, 2)`` points to ``(B, size, size)`` occupancy; ``lo (B, 2)`` is the raster's corner and
    ``cell (B,)`` its cell width, in the units of ``uv``."""
    B = uv.shape[0]
    ij = ((uv - lo[:, None]) / cell[:, None, None]).floor().long()
    ok = ((ij >= 0) & (ij < size)).all(-1)
    flat = (torch.arange(B)[:, None] * size * size + ij[..., 1] * size + ij[..., 0])[ok]
    occ = torch.bincount(flat, minlength=B * size * size).reshape(B, size, size)
    return _close((occ > 0).float())


def _project(points: torch.Tensor, R: torch.Tensor, t: torch.Tensor, K: np.ndarray) -> torch.Tensor:
    """``(B, N, 2)`` pixels, from the principal point, of ``(N, 3)`` canonical points posed by
    ``(B, 3, 3)`` rotations and ``(B, 3)`` translations (OpenCV camera), ``K = (fx, fy, cx, cy)``."""
    cam = points[None] @ R.transpose(1, 2) + t[:, None]
    return torch.stack([K[0] * cam[..., 0] / cam[..., 2], K[1] * cam[..., 1] / cam[..., 2]], -1)


def template_area_px(
    points: torch.Tensor, R: torch.Tensor, t: torch.Tensor, K: np.ndarray, supersample: int = 2
) -> torch.Tensor:
    """``(B,)`` image pixels covered by the ``(N, 3)`` canonical points posed by ``(B, 3, 3)``
    rotations and ``(B, 3)`` translations and projected with ``K = (fx, fy, cx, cy)``: splatted on
    the image's own pixel grid, ``supersample`` times finer, and closed (the splat of
    :func:`template_silhouettes` is set by the points' spread, so its cells, and how many of them
    the points miss, change with the view)."""
    uv = _project(points, R, t, K) * supersample
    lo = uv.amin(1).floor() - 2
    size = int((uv.amax(1) - lo).amax().ceil()) + 3
    occ = _splat(uv, lo, torch.ones(len(R)), size)
    return occ.sum((1, 2)) / supersample**2


def template_silhouettes(points: torch.Tensor, R: torch.Tensor, t: torch.Tensor, K: np.ndarray) -> torch.Tensor:
    """Normalised silhouettes ``(B, GRID, GRID)`` of ``(N, 3)`` canonical points posed by ``(B, 3, 3)``
    rotations and ``(B, 3)`` translations (OpenCV camera) and projected with ``K = (fx, fy, cx, cy)``.

    Rasterised twice at :data:`SUPER` times the final resolution: once at a size set by the points'
    spread, to measure the silhouette's centroid and area, then in the normalised frame (centroid at
    the raster's centre, area 1), where each final cell is set when at least half of it is covered
    (so that the outline is not grown by half a cell all round).
    """
    uv = _project(points, R, t, K)
    B, size = len(R), SUPER * GRID
    mid = uv.mean(1)
    half = (uv - mid[:, None]).abs().amax(dim=(1, 2)) * 1.05 + 1e-6
    cell = 2 * half / size
    occ = _splat(uv, mid - half[:, None], cell, size)
    area = occ.sum((1, 2)).clamp(min=1)
    c = (torch.arange(size) + 0.5).float()
    cx = (occ.sum(1) * c).sum(1) / area
    cy = (occ.sum(2) * c).sum(1) / area
    centroid = mid - half[:, None] + torch.stack([cx, cy], -1) * cell[:, None]
    unit = area.sqrt() * cell  # sqrt(area) in pixels
    norm = (uv - centroid[:, None]) / unit[:, None, None]
    fine = _splat(norm, torch.full((B, 2), -SPAN), torch.full((B,), 2 * SPAN / size), size)
    return torch.nn.functional.avg_pool2d(fine[:, None], SUPER)[:, 0] >= 0.5


def mask_silhouette(mask: np.ndarray) -> np.ndarray | None:
    """A ``(H, W)`` mask in the normalised frame of :func:`template_silhouettes`, ``(GRID, GRID)``
    bool, or None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 4:
        return None
    unit = np.sqrt(len(xs))
    scale = GRID / (2 * SPAN * unit)  # raster cells per pixel
    A = np.array(
        [
            [scale, 0, GRID / 2 - 0.5 - scale * xs.mean()],  # pixel index -> raster index
            [0, scale, GRID / 2 - 0.5 - scale * ys.mean()],
        ]
    )
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(0.5 / scale, 0.5))
    return cv2.warpAffine(soft, A, (GRID, GRID), flags=cv2.INTER_LINEAR) > 0.5


def soft_iou(sils: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(B,)`` IoU of ``(B, G, G)`` silhouettes with a ``(G, G)`` one, after a Gaussian blur of
    :data:`BLUR` cells (sum of minimum over sum of maximum)."""

    def soft(x):
        x = x.astype(np.float32)
        return x if BLUR <= 0 else np.stack([cv2.GaussianBlur(s, (0, 0), BLUR) for s in x.reshape(-1, GRID, GRID)])

    a, b = soft(sils), soft(mask[None])
    return np.minimum(a, b).sum((1, 2)) / np.maximum(np.maximum(a, b).sum((1, 2)), 1e-6)


def _angles(Ra: torch.Tensor, Rb: torch.Tensor) -> torch.Tensor:
    """``(C, C)`` rotation angles (radians) between every pair of ``(C, 3, 3)`` rotations."""
    tr = torch.einsum("aij,bij->ab", Ra, Rb)
    return torch.arccos(((tr - 1) / 2).clamp(-1, 1))


def centred_translation(T0: torch.Tensor, R: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
    """Translations ``(..., 3)`` that keep the canonical ``center (3,)`` where the initial poses
    ``T0 (..., 4, 4)`` put it when their rotations become ``R (..., 3, 3)`` (OpenCV camera): the
    body, not the object origin under its feet, stays on the mask's centroid ray."""
    return T0[..., :3, 3] + T0[..., :3, :3] @ center - R @ center


def viterbi(scores: np.ndarray, turn: np.ndarray, turn_cost: float = TURN_COST) -> np.ndarray:
    """Best path ``(F,)`` through ``(F, C)`` per-frame scores (higher is better) with ``(F-1, C, C)``
    turning angles (radians) between frame f's candidate and frame f+1's; penalty
    ``turn_cost * (angle / 30 deg)^2`` per step."""
    F, C = scores.shape
    pen = turn_cost * (turn / np.radians(30)) ** 2
    acc = scores[0].copy()
    back = np.zeros((F, C), np.int64)
    for f in range(1, F):
        tot = acc[:, None] - pen[f - 1]  # (from, to)
        back[f] = tot.argmax(0)
        acc = tot.max(0) + scores[f]
    path = np.zeros(F, np.int64)
    path[-1] = int(acc.argmax())
    for f in range(F - 1, 0, -1):
        path[f - 1] = back[f, path[f]]
    return path


def view_cue(cache, frames: np.ndarray, T0: torch.Tensor) -> np.ndarray | None:
    """``(F, C)`` a viewpoint cue's log-probabilities of the candidates of ``frames`` (a dataset's
    ``view_logp``, herd's cue network's), or None without one. Its bins are the candidates turned
    from :data:`herd.geometry.transforms.UPRIGHT_SIDE_VIEW`, the initial rotation the cache gives
    frames without a pose cue; frames with another initial rotation get none."""
    if cache.view_logp is None:
        return None
    upright = torch.allclose(
        T0[:, :3, :3], torch.tensor(UPRIGHT_SIDE_VIEW, dtype=T0.dtype).expand(len(T0), 3, 3), atol=1e-5
    )
    return np.asarray(cache.view_logp[frames], np.float64) if upright else None


def place_by_area(
    T: np.ndarray, points: torch.Tensor, center: np.ndarray, cache, frames: np.ndarray, iterations: int = 3
) -> np.ndarray:
    """``(F, 4, 4)`` poses ``T`` of a video's ``frames`` moved along the ray through the canonical
    ``center (3,)`` to the depth at which the ``(N, 3)`` template ``points`` cover as many pixels
    as each frame's mask. Area goes as the inverse square of depth only for a flat body, so the
    placement is repeated (``iterations``; a body 1 m deep at 4 m comes within 1 %). The depths are
    then smoothed in time (log depth, Gaussian of :data:`DEPTH_SMOOTH_FRAMES`; frames with no mask
    take their neighbours')."""
    c_cam = T[:, :3, :3] @ center
    ray = T[:, :3, 3] + c_cam  # the centre's position in the camera
    log_z = np.log(np.maximum(ray[:, 2], 1e-6))
    mask_px = np.array([float(np.count_nonzero(cache.mask[f])) for f in frames])
    ok = (mask_px >= 4) & np.asarray(cache.detected[frames], bool)
    for i in np.nonzero(ok)[0]:
        R = torch.tensor(T[i : i + 1, :3, :3], dtype=torch.float32)
        for _ in range(iterations):
            t = torch.tensor(ray[i] * np.exp(log_z[i]) / ray[i, 2] - c_cam[i], dtype=torch.float32)[None]
            template_px = float(template_area_px(points, R, t, cache.intrinsics[frames[i]])[0])
            log_z[i] += 0.5 * np.log(template_px / mask_px[i])
    if not ok.any():
        return T
    weight = ok.astype(np.float64)
    smooth = gaussian_filter1d(log_z * weight, DEPTH_SMOOTH_FRAMES, mode="nearest")
    norm = gaussian_filter1d(weight, DEPTH_SMOOTH_FRAMES, mode="nearest")
    fallback = np.average(log_z, weights=weight)
    z = np.exp(np.where(norm > 1e-3, smooth / np.maximum(norm, 1e-3), fallback))
    out = T.copy()
    out[:, :3, 3] = ray * (z / ray[:, 2])[:, None] - c_cam
    return out


@torch.no_grad()
def search_root_orientation(model, cache, sil_weight: float = 1.0, view_weight: float = VIEW_CUE_WEIGHT) -> list[dict]:
    """Rotate every frame's initial pose by its best candidate (in place, in ``model.root``).

    Each candidate's score is ``sil_weight`` times its silhouette IoU, plus, where the dataset has a
    viewpoint cue (:func:`view_cue`), ``view_weight`` times its log-probability (floored at
    :data:`VIEW_LOGP_FLOOR`).

    Returns per video ``{"video", "iou", "iou_before", "yaws"}``: the mean score of the chosen path
    and the mean normalised-silhouette IoU of the unrotated initial poses, and the chosen yaw
    (degrees) at the start, middle and end of the video.
    """
    dev = model.center.device
    C = len(YAWS) * len(ELEVATIONS)
    neutral = YAWS.index(0) * len(ELEVATIONS) + ELEVATIONS.index(0)
    pts = template_points(model)
    center = model.center.detach().float().cpu()
    init = model.root.init_obj2cam
    report = []
    for v in range(cache.num_videos):
        frames = cache.video_frames(v)
        T0 = init[torch.as_tensor(frames, device=dev)].detach().float().cpu()
        Rall = torch.tensor(
            np.stack([candidates(R) for R in T0[:, :3, :3].double().numpy()]), dtype=torch.float32
        )  # (F, C, 3, 3) camera-frame rotations
        scores = np.zeros((len(frames), C))
        for i, f in enumerate(frames):
            m = mask_silhouette(np.asarray(cache.mask[f]))
            if m is None or not cache.detected[f]:
                continue  # no evidence: the path carries the orientation through
            t = centred_translation(T0[i], Rall[i], center)
            sil = template_silhouettes(pts, Rall[i], t, cache.intrinsics[f]).numpy()
            scores[i] = sil_weight * soft_iou(sil, m)
        iou_path_before = scores[:, neutral].mean() / max(sil_weight, 1e-9)
        cue = view_cue(cache, frames, T0)
        if cue is not None:
            scores += view_weight * np.maximum(cue, VIEW_LOGP_FLOOR)
        turn = (
            np.stack([_angles(Rall[i], Rall[i + 1]).numpy() for i in range(len(frames) - 1)])
            if len(frames) > 1
            else np.zeros((0, C, C))
        )
        path = viterbi(scores, turn)
        T = T0.numpy().astype(np.float64).copy()
        T[:, :3, :3] = Rall[np.arange(len(frames)), path].numpy()
        T = smooth_poses(T, np.zeros(len(frames), np.int64), SMOOTH_FRAMES)
        T[:, :3, 3] = centred_translation(T0.double(), torch.from_numpy(T[:, :3, :3]), center.double()).numpy()
        T = place_by_area(T, pts, center.double().numpy(), cache, frames)
        init[torch.as_tensor(frames, device=dev)] = torch.tensor(T, dtype=init.dtype, device=dev)
        yaws = [YAWS[path[i] // len(ELEVATIONS)] for i in (0, len(frames) // 2, len(frames) - 1)]
        report.append(
            {
                "video": v,
                "iou": round(float(scores[np.arange(len(frames)), path].mean()), 4),
                "iou_before": round(float(iou_path_before), 4),
                "yaws": yaws,
            }
        )
    return report
