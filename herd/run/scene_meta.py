"""The model's picture of the data: canonical bounds and smoothed initial poses from the cache."""

from __future__ import annotations

import numpy as np

from herd.data.cache import Cache
from herd.data.reader import Dataset
from herd.geometry.transforms import smooth_poses
from herd.model.fg_motion import FgMotion
from herd.model.model import SceneMeta


def scene_meta(cache: Cache, ds: Dataset, fg_motion: FgMotion, pose_smoothing: float = 3.0) -> SceneMeta:
    """Canonical bounds from the rest skeleton (metres), or from the masks and initial poses; the
    initial poses smoothed in time (``pose_smoothing`` frames, Gaussian sigma)."""
    skeleton = ds.skeleton if fg_motion.skeleton else None
    ref = ds.skeleton
    if ref is not None:
        lo, hi = ref.rest_joints.min(0), ref.rest_joints.max(0)
        center = (lo + hi) / 2
        extent = float((hi - lo).max() / 2 * 1.25 + 0.1 * (hi - lo).max())
    else:
        z = cache.init_obj2cam[:, 2, 3]
        area = cache.mask.reshape(cache.num_frames, -1).sum(1)
        r = np.sqrt(np.maximum(area, 1) / np.pi) * z / cache.intrinsics[:, 0]
        center, extent = np.zeros(3), float(np.median(r[cache.detected]) * 1.3)
    init = smooth_poses(cache.init_obj2cam, cache.frame_video, pose_smoothing)
    return SceneMeta(
        frame_video=cache.frame_video,
        frame_time=cache.frame_time(),
        init_obj2cam=init,
        intrinsics=cache.intrinsics,
        num_videos=cache.num_videos,
        skeleton=skeleton,
        center=center,
        extent=extent,
    )
