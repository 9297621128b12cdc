"""The cue network's training set: ``herd synth`` videos seen the way ``herd preprocess`` sees a
user's video (square crops around the mask, DIS flow between the crops), with the true joints and
root rotations as labels.

``build_training_set`` writes ``<out>/train.npz``::

    x        (N, CHANNELS, INPUT, INPUT) float16  network input (herd.preprocess.cue_net.cue_features)
    joints   (N, J, 2) float32                    true joints in [0, 1] crop units (x, y)
    rot      (N, 3, 3) float32                    true object-to-camera rotations (OpenCV)
    video    (N,) int32                           the video of each sample
    crop_res ()                                   the crop size the flow was computed at

A larger set is built in shards of :data:`SHARD_VIDEOS` videos (:func:`build_shards`), shard ``k``
rendered with synth seed ``1000 * seed + k``, each its own ``train.npz``: a larger set extends a
smaller one built with the same settings, and an interrupted build resumes at its first
unfinished shard.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from tqdm import tqdm

from herd.data.ground_truth import GroundTruth
from herd.data.reader import load_dataset
from herd.preprocess.crop import crop_image, crop_matrix, object_crops
from herd.preprocess.cue_net import cue_features
from herd.preprocess.flow import flow_pair
from herd.synth.generate import SynthConfig, synthesize

#: videos per shard of the training set
SHARD_VIDEOS = 300


def crop_joints(joints_cam: np.ndarray, K: np.ndarray, crops: np.ndarray, res: int) -> np.ndarray:
    """``(F, J, 2)`` camera-space joints ``(F, J, 3)`` projected with the raw ``(F, 4)`` or ``(4,)``
    intrinsics into each frame's crop, in [0, 1] crop units (pixel centres at ``(i + 0.5) / res``)."""
    K = np.broadcast_to(np.asarray(K, np.float64), (len(joints_cam), 4))
    u = K[:, None, 0] * joints_cam[..., 0] / joints_cam[..., 2] + K[:, None, 2]
    v = K[:, None, 1] * joints_cam[..., 1] / joints_cam[..., 2] + K[:, None, 3]
    out = np.empty(joints_cam.shape[:2] + (2,))
    for f, c in enumerate(crops):
        M = crop_matrix(c, res)
        out[f, :, 0] = M[0, 0] * u[f] + M[0, 2]
        out[f, :, 1] = M[1, 1] * v[f] + M[1, 2]
    return ((out + 0.5) / res).astype(np.float32)


def video_samples(images: np.ndarray, masks: np.ndarray, res: int) -> tuple[np.ndarray, np.ndarray]:
    """Network inputs ``(F, CHANNELS, INPUT, INPUT)`` of one video's raw ``(F, H, W, 3)`` frames and
    ``(F, H, W)`` masks, cropped and with DIS flow as ``herd preprocess`` does; returns them with
    the ``(F, 3)`` crops."""
    crops = object_crops(masks)
    rgb = np.stack([crop_image(f, c, res) for f, c in zip(images, crops)])
    cm = np.stack([crop_image(m, c, res, is_mask=True) for m, c in zip(masks, crops)])
    flows = [flow_pair(rgb[t], rgb[t + 1]) for t in range(len(rgb) - 1)]
    x = np.stack(
        [
            cue_features(cm[t], flows[t][0] if t < len(flows) else None, flows[t - 1][1] if t > 0 else None)
            for t in range(len(rgb))
        ]
    )
    return x, crops


def build_training_set(
    category: str,
    out: Path,
    videos: int,
    frames: tuple[int, int],
    res: int = 128,
    seed: int = 0,
    spread: float = 2.0,
    progress: bool = True,
) -> Path:
    """Render ``videos`` synthetic videos of ``category`` (``frames`` = lo, hi per video, ``res``
    pixels, bodies varying ``spread`` times as widely as herd synth's default,
    :func:`herd.synth.bodies.sample_morphology`) and turn them into ``out/train.npz`` (module
    docstring). Reuses a finished set."""
    out = Path(out)
    target = out / "train.npz"
    if target.is_file():
        return target
    synth = out / "synth"
    if not (synth / "manifest.json").is_file():
        synthesize(
            SynthConfig(
                out=synth,
                category=category,
                videos=videos,
                frames=frames,
                res=res,
                seed=seed,
                init_rot_noise_deg=0.0,
                heldout_views=0,
                transfer_pairs=0,
                flow=False,
                overwrite=True,
                morphology_spread=spread,
                progress=progress,
            )
        )
    ds, gt = load_dataset(synth), GroundTruth(synth)
    xs, joints, rots, vids = [], [], [], []
    for vi, v in enumerate(tqdm(ds.videos, desc="cue-net samples", unit="video", disable=not progress)):
        x, crops = video_samples(v.load_frames(), v.load_masks(), res)
        xs.append(x.astype(np.float16))
        joints.append(crop_joints(gt.array(v.name, "joints_cam"), v.intrinsics, crops, res))
        rots.append(gt.array(v.name, "obj2cam")[:, :3, :3].astype(np.float32))
        vids.append(np.full(len(x), vi, np.int32))
    tmp = out / "train.tmp.npz"
    np.savez(
        tmp,
        x=np.concatenate(xs),
        joints=np.concatenate(joints),
        rot=np.concatenate(rots),
        video=np.concatenate(vids),
        crop_res=np.array(res),
    )
    tmp.replace(target)
    shutil.rmtree(synth)
    return target


def shard_plan(videos: int) -> tuple[int, int]:
    """``(shards, videos per shard)`` of a training set of ``videos`` videos; ValueError unless
    ``videos`` is 1 to :data:`SHARD_VIDEOS` or a multiple of it."""
    if videos < 1 or (videos > SHARD_VIDEOS and videos % SHARD_VIDEOS):
        raise ValueError(f"--videos {videos}: use 1-{SHARD_VIDEOS} or a multiple of {SHARD_VIDEOS}")
    return max(1, videos // SHARD_VIDEOS), min(videos, SHARD_VIDEOS)


def build_shards(
    category: str,
    work: Path,
    videos: int,
    frames: tuple[int, int],
    res: int = 128,
    seed: int = 0,
    spread: float = 2.0,
    progress: bool = True,
) -> list[Path]:
    """A training set of ``videos`` videos (a multiple of :data:`SHARD_VIDEOS`, or at most one
    shard) as shards under ``work`` (module docstring); returns their ``train.npz`` paths in order."""
    count, size = shard_plan(videos)
    paths = []
    for k in range(count):
        s = 1000 * seed + k
        name = f"{category}-v{size}-r{res}-s{s}-x{spread:g}"
        paths.append(build_training_set(category, Path(work) / name, size, frames, res, s, spread, progress))
    return paths
