"""Slower end-to-end fits (``make test-slow``): rigid recovers a rigid object's pose, dense fits a clip."""

import numpy as np
import pytest
import torch
from conftest import _synth
from scipy.spatial.transform import Rotation

from herd.data.ground_truth import GroundTruth
from herd.evaluation.masks import reference_ious
from herd.geometry.transforms import rotation_angle_deg
from herd.model.model import ModelConfig
from herd.run.options import TrainConfig
from herd.train.trainer import Trainer

pytestmark = pytest.mark.slow


def _gauge_free_rotation_error(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per-frame rotation error (degrees) after removing one global rotation of the object frame."""
    rel = pred[:, :3, :3] @ np.swapaxes(true[:, :3, :3], 1, 2)
    mean = Rotation.from_matrix(rel).mean().as_matrix()
    return rotation_angle_deg(np.swapaxes(rel, 1, 2) @ mean)


def test_rigid_recovers_the_pose_of_a_rigid_object(tmp_path):
    data = _synth(
        tmp_path / "statue",
        category="quad",
        videos=1,
        frames=24,
        res=64,
        seed=11,
        actions=["still"],
        heldout_views=0,
        transfer_pairs=0,
    )
    t = Trainer(
        TrainConfig(
            seqname=str(data),
            logname="rigid",
            logroot=str(tmp_path / "logdir"),
            num_rounds=4,
            iters_per_round=100,
            quiet=True,
        ),
        ModelConfig(fg_motion="rigid"),
    )
    true = GroundTruth(data).array("v000", "obj2cam")
    init_err = _gauge_free_rotation_error(np.load(data / "v000" / "init_obj2cam.npy"), true).mean()
    t.run()
    with torch.no_grad():
        pred = t.model.root_pose(torch.arange(24)).numpy()
    err = _gauge_free_rotation_error(pred, true).mean()
    assert err < 5.0 and err < 0.5 * init_err, (err, init_err)
    assert reference_ious(t.model, t.cache, t.proxy, t.rcfg).mean() > 0.85


def test_dense_fits_a_short_clip(tmp_path):
    data = _synth(
        tmp_path / "clip", category="quad", videos=1, frames=12, res=64, seed=12, heldout_views=0, transfer_pairs=0
    )
    t = Trainer(
        TrainConfig(
            seqname=str(data),
            logname="dense",
            logroot=str(tmp_path / "logdir"),
            num_rounds=4,
            iters_per_round=100,
            quiet=True,
        ),
        ModelConfig(fg_motion="dense"),
    )
    t.run()
    assert reference_ious(t.model, t.cache, t.proxy, t.rcfg).mean() > 0.85
