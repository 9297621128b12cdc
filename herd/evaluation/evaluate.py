"""``herd eval``: every metric that applies to a run, per individual and averaged.

Keys of ``metrics.json`` (each ``{<video or pair>: value, ..., "mean": value}``; a metric that
does not apply is absent): ``ref_mask_iou``, ``ref_psnr`` (always); with synthetic ground truth
(:mod:`herd.evaluation.truth`: the run's own ``gt/``, the truth a preprocessed copy of a synthetic
dataset records, or ``herd eval --gt``) ``heldout_mask_iou``, ``heldout_psnr``, the geometry of
both protocols (:data:`GEOMETRY_KEYS`), ``transfer_mask_iou``, ``transfer_psnr`` (keyed by
transfer pair ``<A>_on_<B>``), ``joint_error`` and ``bone_length_r`` (same skeleton topology; its
``mean`` is the pooled r over individuals and bones, a per-individual value is the r over that
individual's bones), ``ref_normal_deg`` (mean angle between rendered and true normals in the
reference view) and ``ref_depth_err`` (mean depth error at the SDF's zero crossing, a fraction of
the true depth; :mod:`herd.evaluation.surfaces`). Ground truth is read here only, never by training.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from herd.evaluation.geometry import (
    ABSOLUTE_THRESHOLDS,
    GEOMETRY_PROTOCOL,
    RELATIVE_THRESHOLDS,
    ShapeScores,
    aligned_joint_error,
    depth_scale,
    mean_scores,
    per_frame_scores,
    sample_surface,
    sequence_scores,
)
from herd.evaluation.masks import heldout_scores, reference_scores
from herd.evaluation.skeleton import bone_length_r, learned_bone_lengths, proportions
from herd.evaluation.surfaces import reference_surface_scores
from herd.evaluation.transfer import transfer_scores
from herd.evaluation.truth import RunTruth, link_truth
from herd.export.mesh import extract_canonical_mesh, posed_vertices
from herd.run.loaded_run import LoadedRun

#: geometry metrics: BANMo's per-frame protocol, then Lab4D/PPR's per-sequence one
GEOMETRY_KEYS = (
    "chamfer_cm",
    "fscore_2pct",
    "fscore_5pct",
    "fscore_10pct",
    "seq_chamfer_cm",
    "seq_fscore_2cm",
    "seq_fscore_5cm",
    "seq_fscore_10cm",
)
KEYS = (
    "ref_mask_iou",
    "ref_psnr",
    "ref_normal_deg",
    "ref_depth_err",
    "heldout_mask_iou",
    "heldout_psnr",
    *GEOMETRY_KEYS,
    "transfer_mask_iou",
    "transfer_psnr",
    "joint_error",
    "bone_length_r",
)
#: what each geometry key means, written into metrics.json beside the numbers
PROTOCOLS = {
    "version": GEOMETRY_PROTOCOL,
    "chamfer_cm, fscore_*pct": "BANMo: per frame, predicted points scaled about the camera centre by the ratio of "
    "median depths, then rigid ICP; Chamfer = sum of the two mean nearest-neighbour "
    "distances (cm); F-score at 2/5/10 % of the true mesh's longest bounding-box edge",
    "seq_chamfer_cm, seq_fscore_*cm": "Lab4D/PPR: one similarity transform per video (the median over frames of "
    "the median-depth ratios, then one rigid ICP over all frames at once); Chamfer "
    "as above (cm); F-score at 2/5/10 cm",
    "camera": "the run's root poses seen through the true camera: translations times true/assumed focal length "
    "(docs/evaluation.md)",
}


def _with_mean(values: dict[str, float]) -> dict[str, float]:
    finite = [v for v in values.values() if np.isfinite(v)]
    out = {k: round(float(v), 5) for k, v in values.items()}
    out["mean"] = round(float(np.mean(finite)), 5) if finite else float("nan")
    return out


def ground_truth(run: LoadedRun, gt_dataset: str | None = None) -> RunTruth | None:
    """The run's synthetic ground truth (:func:`herd.evaluation.truth.link_truth`), or None for
    real videos."""
    return link_truth(run.ds, gt_dataset)


@torch.no_grad()
def geometry_scores(
    run: LoadedRun, truth: RunTruth, video: int, stride: int = 1, grid_size: int = 128, points: int = 5000
) -> dict:
    """Both geometry protocols for one video (every ``stride``-th frame), and the posed joints
    against the true ones. Returns ``{"per_frame": ShapeScores, "sequence": ShapeScores,
    "joint_error": float or None}`` (means over the frames)."""
    m, vt = run.model, truth.videos[video]
    mesh = extract_canonical_mesh(m, video, grid_size)
    frames = run.cache.video_frames(video)[::stride]
    st = m.frame_state(torch.as_tensor(frames, device=m.center.device))
    obj2cam = st.obj2cam.cpu().numpy()
    pred = vt.points_to_true_camera(posed_vertices(m, mesh, st), obj2cam)
    true = vt.array("posed_verts_cam")[::stride]
    faces = vt.gt.rest_mesh(vt.name)["faces"]
    p_pts = [sample_surface(p, mesh.faces, points, seed=2 * i) for i, p in enumerate(pred)]
    t_pts = [sample_surface(t, faces, points, seed=2 * i + 1) for i, t in enumerate(true)]
    out: dict[str, ShapeScores | float | None] = {
        "per_frame": mean_scores(per_frame_scores(p_pts, t_pts)),
        "sequence": mean_scores(sequence_scores(p_pts, t_pts)),
        "joint_error": None,
    }
    true_j = vt.array("joints_cam")[::stride]
    if st.joints is not None and true_j.shape[1] == st.joints.shape[1]:
        T = vt.to_true_camera(obj2cam)
        joints = st.joints.cpu().numpy() @ T[:, :3, :3].transpose(0, 2, 1) + T[:, None, :3, 3]
        scale = float(np.median([depth_scale(p, t) for p, t in zip(p_pts, t_pts)]))
        out["joint_error"] = float(np.mean([aligned_joint_error(p, t, scale) for p, t in zip(joints, true_j)]))
    return out


@torch.no_grad()
def evaluate(
    run: LoadedRun,
    stride: int = 1,
    grid_size: int = 128,
    points: int = 5000,
    progress: bool = True,
    gt_dataset: str | None = None,
) -> dict:
    """All metrics of a run (frames thinned by ``stride``). ``gt_dataset``: link the run to this
    ``herd synth`` dataset's ground truth by hand. Returns ``{"metrics": {...}, "info": {...}}``."""
    m, names = run.model, run.video_names
    truth = ground_truth(run, gt_dataset)
    metrics: dict[str, dict[str, float]] = {}
    bar = tqdm(
        total=len(names) * (3 if truth else 1), desc="eval", unit="part", disable=not progress, dynamic_ncols=True
    )
    ref_iou, ref_psnr = {}, {}
    for v, name in enumerate(names):
        s = reference_scores(m, run.cache, run.proxy, run.rcfg, run.cache.video_frames(v)[::stride])
        ref_iou[name], ref_psnr[name] = float(s["mask_iou"].mean()), float(np.nanmean(s["psnr"]))
        bar.update()
    metrics["ref_mask_iou"], metrics["ref_psnr"] = _with_mean(ref_iou), _with_mean(ref_psnr)
    info = {
        "videos": names,
        "stride": stride,
        "grid_size": grid_size,
        "step": run.step,
        "ground_truth": truth is not None,
    }
    if truth is None:
        bar.close()
        return {"metrics": metrics, "info": info}
    info["ground_truth_dataset"] = str(truth.gt.root.parent.resolve())
    info["ground_truth_videos"] = [vt.name for vt in truth.videos]
    info["focal_ratio"] = [round(vt.focal_ratio, 4) for vt in truth.videos]
    info["geometry_protocol"] = PROTOCOLS

    normal_deg, depth_err = {}, {}
    for v, name in enumerate(names):
        surf = reference_surface_scores(run, truth.videos[v], v, stride)
        normal_deg[name], depth_err[name] = float(np.mean(surf.normal_deg)), float(np.mean(surf.depth_err))
    metrics["ref_normal_deg"], metrics["ref_depth_err"] = _with_mean(normal_deg), _with_mean(depth_err)

    held = heldout_scores(m, run.cache, truth, run.proxy, run.rcfg, stride)
    metrics["heldout_mask_iou"] = _with_mean({k: v["mask_iou"].mean() for k, v in held.items()})
    metrics["heldout_psnr"] = _with_mean({k: np.nanmean(v["psnr"]) for k, v in held.items()})
    bar.update(len(names))

    geo: dict[str, dict[str, float]] = {k: {} for k in GEOMETRY_KEYS}
    joint_err = {}
    for v, name in enumerate(names):
        g = geometry_scores(run, truth, v, stride, grid_size, points)
        pf, sq = g["per_frame"], g["sequence"]
        geo["chamfer_cm"][name], geo["seq_chamfer_cm"][name] = 100 * pf.chamfer, 100 * sq.chamfer
        for t in RELATIVE_THRESHOLDS:
            geo[f"fscore_{round(100 * t)}pct"][name] = pf.fscore[t]
        for t in ABSOLUTE_THRESHOLDS:
            geo[f"seq_fscore_{round(100 * t)}cm"][name] = sq.fscore[t]
        if g["joint_error"] is not None:
            joint_err[name] = g["joint_error"]
        bar.update()
    for k in GEOMETRY_KEYS:
        metrics[k] = _with_mean(geo[k])

    pairs = truth.transfer_pairs()
    if pairs:
        t_iou, t_psnr = {}, {}
        for pair in pairs:
            s = transfer_scores(run, truth, pair, stride)
            key = f"{names[pair['motion']]}_on_{names[pair['body']]}"
            t_iou[key], t_psnr[key] = s["mask_iou"].mean(), np.nanmean(s["psnr"])
        metrics["transfer_mask_iou"], metrics["transfer_psnr"] = _with_mean(t_iou), _with_mean(t_psnr)
    if len(joint_err) == len(names):
        metrics["joint_error"] = _with_mean(joint_err)
        if len(names) > 1 and not run.model_cfg.single_inst:
            learned = learned_bone_lengths(m)
            true_len = np.array([truth.gt.body(vt.name)["bone_lengths"] for vt in truth.videos])
            keep = true_len.min(0) > 1e-6
            a, b = proportions(learned[:, keep]), proportions(true_len[:, keep])
            per = {n: float(np.corrcoef(a[i], b[i])[0, 1]) for i, n in enumerate(names)}
            metrics["bone_length_r"] = {
                **{k: round(v, 5) for k, v in per.items()},
                "mean": round(bone_length_r(learned, true_len), 5),
            }
    bar.close()
    return {"metrics": metrics, "info": info}


def format_table(metrics: dict[str, dict[str, float]]) -> str:
    """The metrics as a text table: one row per metric, one column per individual and the mean."""
    cols: list[str] = []
    for vals in metrics.values():
        cols += [k for k in vals if k != "mean" and k not in cols]
    cols.append("mean")
    width = max(10, *(len(c) + 2 for c in cols))
    lines = [f"{'metric':<18}" + "".join(f"{c[: width - 1]:>{width}}" for c in cols)]
    for key in KEYS:
        if key in metrics:
            row = metrics[key]
            lines.append(
                f"{key:<18}" + "".join(f"{row[c]:>{width}.4f}" if c in row else f"{'':>{width}}" for c in cols)
            )
    return "\n".join(lines)
