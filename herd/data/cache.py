"""A training cache: a dataset converted once to the training resolution, memory-mapped.

All videos' frames are concatenated into *global frames* ``0..F-1``. Arrays (``res`` = the training resolution; letters as in docs/conventions.md)::

    rgb.npy            (F, res, res, 3) uint8
    mask.npy           (F, res, res) uint8, 1 = object
    band.npy           (F, res, res) uint8, 1 = within a few pixels outside the object
    fw_<g>.npy         (F, res, res, 3) float16 dx, dy, conf: frame t -> t+g (conf 0 where t+g is past the end)
    bw_<g>.npy         (F, res, res, 3) float16 dx, dy, conf: frame t -> t-g (conf 0 where t-g < 0)
    intrinsics.npy     (F, 4) at resolution res
    init_obj2cam.npy   (F, 4, 4)
    keypoints.npy      (F, P, 3) at resolution res (absent without keypoints)
    depth.npy          (F, res, res) float16 camera z, 0 = background (absent without depth)
    view_logp.npy      (F, C) float32 viewpoint log-probabilities (absent unless every video has them)
    meta.json          videos (frame counts, keypoint and flow error at resolution res, whether the
                       keypoints may be left-right mirrored), which cues exist, the dataset's
                       fingerprint

Images are resized to res x res (intrinsics scaled per axis), so an epoch decodes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from herd.data import format as fmt
from herd.data.reader import Dataset, Video
from herd.geometry.raster import scale_intrinsics

CACHE_VERSION = 5


def fingerprint(ds: Dataset, res: int) -> str:
    """Hash of the dataset's files (names, sizes, modification times), outside ``gt/``."""
    h = hashlib.sha1(f"v{CACHE_VERSION}-r{res}".encode())
    for p in sorted(ds.root.rglob("*")):
        rel = p.relative_to(ds.root)
        if rel.parts[0] == "gt" or not p.is_file():
            continue
        st = p.stat()
        h.update(f"{rel}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


def _resize_flow(flow: np.ndarray, res: int) -> np.ndarray:
    H, W = flow.shape[:2]
    out = cv2.resize(flow.astype(np.float32), (res, res), interpolation=cv2.INTER_NEAREST)
    out[..., 0] *= res / W
    out[..., 1] *= res / H
    return out


def _upright_init(mask: np.ndarray, K: np.ndarray, radius: float) -> np.ndarray:
    """An initial pose without a pose cue: upright, seen from its left side, placed by the mask."""
    ys, xs = np.nonzero(mask)
    R = np.array([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]])  # obj +z -> image right, +y -> up
    T = np.eye(4)
    T[:3, :3] = R
    if len(xs) == 0:
        T[:3, 3] = [0, 0, 3 * radius]
        return T
    r_px = max(np.sqrt(len(xs) / np.pi), 1.0) * 1.6
    z = K[0] * radius / r_px
    T[:3, 3] = [(xs.mean() - K[2]) * z / K[0], (ys.mean() - K[3]) * z / K[1], z]
    return T


def build_cache(
    ds: Dataset, res: int, cache_root: Path, object_radius: float = 0.8, progress: bool = True, workers: int = 0
) -> Path:
    """Convert ``ds`` at resolution ``res`` into ``cache_root/<name>-<fingerprint>/``, once.

    Returns the cache folder; an existing complete cache with the same fingerprint is reused.
    Videos are converted by ``workers`` threads side by side (0: one per CPU core, at most one per
    video; decoding and resizing release the GIL), each into its own rows of the memory-mapped
    arrays, so the cache is byte-identical whatever their number.
    """
    key = fingerprint(ds, res)
    out = Path(cache_root) / f"{ds.name}-r{res}-{key}"
    if (out / "meta.json").is_file():
        return out
    tmp = out.with_name(out.name + f".partial{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    T = sum(v.num_frames for v in ds.videos)
    gaps = list(ds.flow_gaps)
    arrays = _Arrays(tmp, T, res, gaps, ds)
    starts = np.cumsum([0] + [v.num_frames for v in ds.videos])[:-1]
    jobs = min(workers or os.cpu_count() or 1, len(ds.videos))
    with ThreadPoolExecutor(jobs) as pool:
        infos = list(
            tqdm(
                pool.map(lambda v, start: _fill_video(arrays, v, int(start), res, object_radius), ds.videos, starts),
                total=len(ds.videos),
                desc="cache",
                unit="video",
                disable=not progress,
            )
        )
    arrays.save(tmp)
    frame_video = [vi for vi, v in enumerate(ds.videos) for _ in range(v.num_frames)]
    frame_index = [i for v in ds.videos for i in range(v.num_frames)]
    detected = [bool(x) for v in ds.videos for x in v.detected]
    np.save(tmp / "frame_video.npy", np.array(frame_video, np.int64))
    np.save(tmp / "frame_index.npy", np.array(frame_index, np.int64))
    np.save(tmp / "detected.npy", np.array(detected, bool))
    meta = {
        "version": CACHE_VERSION,
        "dataset": str(ds.root),
        "name": ds.name,
        "res": res,
        "num_frames": T,
        "videos": infos,
        "flow_gaps": gaps,
        "keypoint_names": arrays.kp_names,
        "has_init_poses": all(v.init_obj2cam is not None for v in ds.videos),
        "fingerprint": key,
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    return _publish(tmp, out)


class _Arrays:
    """The cache's per-frame arrays while it is built: the large ones memory-mapped in ``tmp``, the
    small ones in memory until :meth:`save`. Which exist follows the dataset (module docstring)."""

    def __init__(self, tmp: Path, T: int, res: int, gaps: list[int], ds: Dataset):
        mm = np.lib.format.open_memmap
        self.rgb = mm(tmp / "rgb.npy", "w+", np.uint8, (T, res, res, 3))
        self.mask = mm(tmp / "mask.npy", "w+", np.uint8, (T, res, res))
        self.band = mm(tmp / "band.npy", "w+", np.uint8, (T, res, res))
        self.flows = {}
        for g in gaps:
            for d in ("fw", "bw"):
                self.flows[d, g] = mm(tmp / f"{d}_{g}.npy", "w+", np.float16, (T, res, res, 3))
                self.flows[d, g][:] = 0
        self.intr = np.zeros((T, 4))
        self.init = np.zeros((T, 4, 4))
        self.kp_names = None
        self.kps = None
        if ds.skeleton is not None and all(v.keypoints is not None for v in ds.videos):
            self.kp_names = list(ds.skeleton.joint_names)
            self.kps = np.zeros((T, len(self.kp_names), 3), np.float32)
        logps = [v.view_logp for v in ds.videos if v.view_logp is not None]
        self.views = np.zeros((T, logps[0].shape[1]), np.float32) if len(logps) == len(ds.videos) else None
        self.depth = (
            mm(tmp / "depth.npy", "w+", np.float16, (T, res, res)) if all(v.has_depth for v in ds.videos) else None
        )

    def save(self, tmp: Path) -> None:
        for a in [self.rgb, self.mask, self.band, *self.flows.values()] + (
            [self.depth] if self.depth is not None else []
        ):
            a.flush()
        np.save(tmp / "intrinsics.npy", self.intr)
        np.save(tmp / "init_obj2cam.npy", self.init)
        if self.kps is not None:
            np.save(tmp / "keypoints.npy", self.kps)
        if self.views is not None:
            np.save(tmp / "view_logp.npy", self.views)


def _fill_video(a: _Arrays, v: Video, start: int, res: int, object_radius: float) -> dict:
    """Convert one video into rows ``start .. start + F - 1`` of ``a``; returns its meta.json entry."""
    F, H, W = v.num_frames, v.height, v.width
    sx, sy = res / W, res / H
    k = np.ones((3, 3), np.uint8)
    masks = v.load_masks()
    for i in range(F):
        t = start + i
        a.rgb[t] = cv2.resize(v.load_frame(i), (res, res), interpolation=cv2.INTER_AREA)
        m = cv2.resize(masks[i].astype(np.float32), (res, res), interpolation=cv2.INTER_AREA) > 0.5
        a.mask[t] = m
        a.band[t] = (cv2.dilate(m.astype(np.uint8), k, iterations=max(2, res // 24)) > 0) & ~m
    K = scale_intrinsics(v.intrinsics, sx, sy)
    a.intr[start : start + F] = K
    for g in v.flow_gaps:
        fw, bw = v.load_flow("fw", g), v.load_flow("bw", g)
        for i in range(F - g):
            a.flows["fw", g][start + i] = _resize_flow(np.asarray(fw[i]), res)
            a.flows["bw", g][start + i + g] = _resize_flow(np.asarray(bw[i]), res)
    if (depth := a.depth) is not None:
        d = v.load_depth()
        assert d is not None  # every video has depth (_Arrays)
        for i in range(F):
            depth[start + i] = cv2.resize(np.asarray(d[i], np.float32), (res, res), interpolation=cv2.INTER_NEAREST)
    if a.views is not None:
        a.views[start : start + F] = v.view_logp
    if v.init_obj2cam is not None:
        a.init[start : start + F] = v.init_obj2cam
    else:
        a.init[start : start + F] = [_upright_init(a.mask[start + i], K[i], object_radius) for i in range(F)]
    if a.kps is not None and a.kp_names is not None:
        assert v.keypoints is not None and v.keypoint_names is not None  # every video has them (_Arrays)
        idx = {n: j for j, n in enumerate(v.keypoint_names)}
        for j, n in enumerate(a.kp_names):
            if n in idx:
                a.kps[start : start + F, j, 0] = (v.keypoints[:, idx[n], 0] + 0.5) * sx - 0.5
                a.kps[start : start + F, j, 1] = (v.keypoints[:, idx[n], 1] + 0.5) * sy - 0.5
                a.kps[start : start + F, j, 2] = v.keypoints[:, idx[n], 2]
    info = {"name": v.name, "num_frames": F, "start": start, "keypoints_mirrored": v.keypoints_mirrored}
    for key in fmt.CUE_SIGMA_KEYS:  # the stated errors, in pixels at resolution R
        sigma = getattr(v, key)
        info[key] = None if sigma is None else sigma * (sx + sy) / 2
    return info


def _publish(tmp: Path, out: Path) -> Path:
    """Move a finished cache from ``tmp`` to ``out`` in one rename. Runs that share a ``--logroot``
    may build the same cache at once: the first to finish wins and the others drop their copy,
    never replacing a cache that a running process has open."""
    if out.exists() and not (out / "meta.json").is_file():  # a broken leftover, not another run's cache
        shutil.rmtree(out, ignore_errors=True)
    try:
        os.rename(tmp, out)
    except OSError:
        if not (out / "meta.json").is_file():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return out


class Cache:
    """Read side of a training cache (arrays memory-mapped)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.meta = json.loads((self.root / "meta.json").read_text())
        self.res = int(self.meta["res"])
        load = lambda n: np.load(self.root / n, mmap_mode="r")  # noqa: E731
        self.rgb, self.mask, self.band = load("rgb.npy"), load("mask.npy"), load("band.npy")
        self.flow = {(d, g): load(f"{d}_{g}.npy") for g in self.meta["flow_gaps"] for d in ("fw", "bw")}
        self.intrinsics = np.load(self.root / "intrinsics.npy")
        self.init_obj2cam = np.load(self.root / "init_obj2cam.npy")
        self.keypoints = np.load(self.root / "keypoints.npy") if (self.root / "keypoints.npy").exists() else None
        self.depth = load("depth.npy") if (self.root / "depth.npy").exists() else None
        self.view_logp = np.load(self.root / "view_logp.npy") if (self.root / "view_logp.npy").exists() else None
        self.frame_video = np.load(self.root / "frame_video.npy")
        self.frame_index = np.load(self.root / "frame_index.npy")
        self.detected = np.load(self.root / "detected.npy")

    @property
    def num_frames(self) -> int:
        return int(self.meta["num_frames"])

    @property
    def num_videos(self) -> int:
        return len(self.meta["videos"])

    def cue_sigma(self, cue: str) -> np.ndarray:
        """``(T,)`` standard deviation of each frame's ``cue`` (``keypoint`` or ``flow``) error in
        pixels at the cache's resolution, NaN where the dataset does not say."""
        sig = [self.meta["videos"][v].get(f"{cue}_sigma_px") for v in self.frame_video]
        return np.array([np.nan if s is None else s for s in sig], dtype=np.float32)

    def keypoints_mirrored(self) -> np.ndarray:
        """``(T,)`` bool: the frame's keypoints may have left and right swapped."""
        return np.array([bool(self.meta["videos"][v].get("keypoints_mirrored", False)) for v in self.frame_video])

    def video_frames(self, v: int) -> np.ndarray:
        """Global frame indices of video ``v``."""
        info = self.meta["videos"][v]
        return np.arange(info["start"], info["start"] + info["num_frames"])

    def frame_time(self) -> np.ndarray:
        """``(T,)`` time of each frame within its video, in [0, 1]."""
        n = np.array([self.meta["videos"][v]["num_frames"] for v in self.frame_video])
        return self.frame_index / np.maximum(n - 1, 1)
