"""Skeleton metrics against synthetic ground truth: learned bone lengths per individual against the
true ones, and joint positions after alignment."""

from __future__ import annotations

import numpy as np
import torch

from herd.model.model import HerdModel


@torch.no_grad()
def learned_bone_lengths(model: HerdModel) -> np.ndarray:
    """``(V, B)`` metric bone lengths of every video's individual (canonical rest lengths times the
    individual's factors; with ``single_inst`` every row is the same)."""
    art = model.articulation
    assert art is not None and model.skeleton is not None, "a model with a skeleton"
    videos = torch.arange(model.num_videos, device=model.center.device)
    scale = art.bone_scale(model.video_code(videos))
    rest = art.rest_joints
    children = torch.as_tensor(model.skeleton.bone_children, device=rest.device)
    parents = torch.as_tensor(np.asarray(model.skeleton.parents)[model.skeleton.bone_children], device=rest.device)
    return (scale * (rest[children] - rest[parents]).norm(dim=-1)).cpu().numpy()


def proportions(lengths: np.ndarray) -> np.ndarray:
    """``(V, B)`` bone lengths to proportions: log lengths centred over bones (each individual's
    overall size) and over individuals (each bone's category mean), exponentiated. Neither the
    monocular global scale nor an individual's overall size (unobservable from one video without
    depth) changes them."""
    x = np.log(lengths)
    x = x - x.mean(1, keepdims=True)
    return np.exp(x - x.mean(0, keepdims=True))


def bone_length_r(learned: np.ndarray, true: np.ndarray, per_individual_scale: bool = True) -> float:
    """Pearson r over individuals and bones of ``(V, B)`` learned and true bone lengths.

    With ``per_individual_scale`` (the default) each individual's overall size is removed as well
    (:func:`proportions`); otherwise only the category-wide scale (lengths relative to the mean of
    each bone). Bones of zero true length are skipped."""
    keep = true.min(0) > 1e-6
    learned, true = learned[:, keep], true[:, keep]
    if per_individual_scale:
        a, b = proportions(learned), proportions(true)
    else:
        a, b = learned / learned.mean(0, keepdims=True), true / true.mean(0, keepdims=True)
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0
