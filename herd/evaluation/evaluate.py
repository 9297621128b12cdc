"""``herd eval``: every metric that applies to a run, per individual and averaged.

Keys of ``metrics.json`` (each ``{<video or pair>: value, ..., "mean": value}``; a metric that
does not apply is absent): ``ref_mask_iou``, ``ref_psnr`` (always); with synthetic ground truth
``heldout_mask_iou``, ``heldout_psnr``, ``chamfer``, ``fscore_1``, ``fscore_2``, ``fscore_5``,
``transfer_mask_iou``, ``transfer_psnr`` (keyed by transfer pair ``<A>_on_<B>``), ``joint_error``
and ``bone_length_r`` (same skeleton topology; its ``mean`` is the pooled r over individuals and
bones, a per-individual value is the r over that individual's bones). Ground truth is read here
only, never by training.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from herd.data.ground_truth import GroundTruth
from herd.evaluation.geometry import aligned_joint_error, depth_scale, mesh_scores
from herd.evaluation.masks import heldout_scores, reference_scores
from herd.evaluation.skeleton import bone_length_r, learned_bone_lengths, proportions
from herd.evaluation.transfer import transfer_scores
from herd.export.mesh import extract_canonical_mesh, posed_vertices
from herd.train.loaded_run import LoadedRun

KEYS = ("ref_mask_iou", "ref_psnr", "heldout_mask_iou", "heldout_psnr", "chamfer", "fscore_1", "fscore_2", "fscore_5",
        "transfer_mask_iou", "transfer_psnr", "joint_error", "bone_length_r")


def _with_mean(values: dict[str, float]) -> dict[str, float]:
    finite = [v for v in values.values() if np.isfinite(v)]
    out = {k: round(float(v), 5) for k, v in values.items()}
    out["mean"] = round(float(np.mean(finite)), 5) if finite else float("nan")
    return out


def ground_truth(run: LoadedRun) -> GroundTruth | None:
    """The dataset's synthetic ground truth, or None for real videos."""
    return GroundTruth(run.ds.root) if (run.ds.root / "gt" / "info.json").is_file() else None


@torch.no_grad()
def evaluate(run: LoadedRun, stride: int = 1, grid_size: int = 128, points: int = 5000,
             progress: bool = True) -> dict:
    """All metrics of a run (frames thinned by ``stride``). Returns ``{"metrics": {...}, "info": {...}}``."""
    m, names = run.model, run.video_names
    gt = ground_truth(run)
    metrics: dict[str, dict[str, float]] = {}
    bar = tqdm(total=len(names) * (3 if gt else 1), desc="eval", unit="part", disable=not progress, dynamic_ncols=True)
    ref_iou, ref_psnr = {}, {}
    for v, name in enumerate(names):
        s = reference_scores(m, run.cache, run.proxy, run.rcfg, run.cache.video_frames(v)[::stride])
        ref_iou[name], ref_psnr[name] = float(s["mask_iou"].mean()), float(np.nanmean(s["psnr"]))
        bar.update()
    metrics["ref_mask_iou"], metrics["ref_psnr"] = _with_mean(ref_iou), _with_mean(ref_psnr)
    info = {"videos": names, "stride": stride, "grid_size": grid_size, "step": run.step, "ground_truth": gt is not None}
    if gt is None:
        bar.close()
        return {"metrics": metrics, "info": info}

    held = heldout_scores(m, run.cache, gt, run.proxy, run.rcfg, names, stride)
    metrics["heldout_mask_iou"] = _with_mean({k: v["mask_iou"].mean() for k, v in held.items()})
    metrics["heldout_psnr"] = _with_mean({k: np.nanmean(v["psnr"]) for k, v in held.items()})
    bar.update(len(names))

    chamfer, fs = {}, {t: {} for t in (1, 2, 5)}
    joint_err = {}
    same_topology = m.skeleton is not None and all(
        gt.array(n, "joints_cam").shape[1] == m.skeleton.num_joints for n in names)
    for v, name in enumerate(names):
        mesh = extract_canonical_mesh(m, v, grid_size)
        frames = run.cache.video_frames(v)[::stride]
        st = m.frame_state(torch.as_tensor(frames, device=m.center.device))
        pred = posed_vertices(m, mesh, st)
        true = gt.array(name, "posed_verts_cam")[::stride]
        faces = gt.rest_mesh(name)["faces"]
        scale = float(np.median([depth_scale(p, t) for p, t in zip(pred, true)]))
        scores = [mesh_scores(p, mesh.faces, t, faces, scale, n=points, seed=i) for i, (p, t) in enumerate(zip(pred, true))]
        chamfer[name] = np.mean([s.chamfer for s in scores])
        for t, key in zip((0.01, 0.02, 0.05), (1, 2, 5)):
            fs[key][name] = np.mean([s.fscore[t] for s in scores])
        if same_topology:
            T = st.obj2cam.cpu().numpy()
            joints = st.joints.cpu().numpy() @ T[:, :3, :3].transpose(0, 2, 1) + T[:, None, :3, 3]
            true_j = gt.array(name, "joints_cam")[::stride]
            joint_err[name] = np.mean([aligned_joint_error(p, t, scale) for p, t in zip(joints, true_j)])
        bar.update()
    metrics["chamfer"] = _with_mean(chamfer)
    for key in (1, 2, 5):
        metrics[f"fscore_{key}"] = _with_mean(fs[key])

    pairs = gt.transfer_pairs()
    if pairs:
        t_iou, t_psnr = {}, {}
        for pair in pairs:
            s = transfer_scores(run, gt, pair, stride)
            t_iou[pair["name"]], t_psnr[pair["name"]] = s["mask_iou"].mean(), np.nanmean(s["psnr"])
        metrics["transfer_mask_iou"], metrics["transfer_psnr"] = _with_mean(t_iou), _with_mean(t_psnr)
    if same_topology:
        metrics["joint_error"] = _with_mean(joint_err)
        if len(names) > 1 and not run.model_cfg.single_inst:
            learned = learned_bone_lengths(m)
            true_len = np.array([gt.body(n)["bone_lengths"] for n in names])
            keep = true_len.min(0) > 1e-6
            a, b = proportions(learned[:, keep]), proportions(true_len[:, keep])
            per = {n: float(np.corrcoef(a[i], b[i])[0, 1]) for i, n in enumerate(names)}
            metrics["bone_length_r"] = {**{k: round(v, 5) for k, v in per.items()},
                                        "mean": round(bone_length_r(learned, true_len), 5)}
    bar.close()
    return {"metrics": metrics, "info": info}


def format_table(metrics: dict[str, dict[str, float]]) -> str:
    """The metrics as a text table: one row per metric, one column per individual and the mean."""
    cols: list[str] = []
    for vals in metrics.values():
        cols += [k for k in vals if k != "mean" and k not in cols]
    cols.append("mean")
    width = max(10, *(len(c) + 2 for c in cols))
    lines = [f"{'metric':<18}" + "".join(f"{c[:width - 1]:>{width}}" for c in cols)]
    for key in KEYS:
        if key in metrics:
            row = metrics[key]
            lines.append(f"{key:<18}" + "".join(f"{row[c]:>{width}.4f}" if c in row else f"{'':>{width}}" for c in cols))
    return "\n".join(lines)
