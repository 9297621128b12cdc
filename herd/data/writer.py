"""Write a dataset atomically: everything goes to ``<out>.partial/`` and is renamed at the end.

A crash or Ctrl-C leaves only the ``.partial`` folder, never a folder that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from herd.data import format as fmt
from herd.geometry.skeleton import Skeleton


def write_json(path: Path, obj: dict) -> None:
    """Deterministic JSON (sorted keys, fixed float formatting by ``round`` at the caller)."""
    path.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")


def write_png(path: Path, image: np.ndarray) -> None:
    """Write a ``(H, W)`` or ``(H, W, 3)`` uint8 image as PNG (byte-identical for equal input)."""
    Image.fromarray(np.ascontiguousarray(image)).save(path, format="PNG", optimize=False, compress_level=6)


class DatasetWriter:
    """Builds one category folder.

    Usage::

        with DatasetWriter(out, name="quad-6", category="quad", skeleton=QUAD) as w:
            v = w.video("v000")
            v.write_frame(i, rgb, mask) ...
            v.finish(intrinsics=..., detected=..., ...)
        # out/ now exists and is complete

    Args:
        out: final dataset folder; must not exist unless ``overwrite``, and then be a herd dataset
            or empty (:func:`herd.data.output_dir.check_dataset_out`).
        skeleton: a built-in skeleton (stored by name) or a custom one (stored inline), or None.
    """

    def __init__(
        self,
        out: Path,
        name: str,
        category: str,
        skeleton: Skeleton | None,
        overwrite: bool = False,
        builtin_skeleton: bool = True,
        source: dict | None = None,
        flow_gaps: tuple[int, ...] = fmt.FLOW_GAPS,
    ):
        self.out = Path(out)
        self.flow_gaps = tuple(flow_gaps)
        self.tmp = self.out.with_name(self.out.name + ".partial")
        self.name, self.category, self.skeleton = name, category, skeleton
        self.builtin_skeleton = builtin_skeleton
        self.overwrite = overwrite
        self.source = source or {}
        self.videos: list[str] = []

    def __enter__(self) -> DatasetWriter:
        from herd.data.output_dir import check_dataset_out

        check_dataset_out(self.out, self.overwrite)
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return  # leave <out>.partial for inspection; <out> is untouched
        skel: object = None
        if self.skeleton is not None:
            skel = self.skeleton.name if self.builtin_skeleton else self.skeleton.to_json()
        write_json(
            self.tmp / fmt.MANIFEST,
            {
                "format": fmt.FORMAT_NAME,
                "version": fmt.FORMAT_VERSION,
                "name": self.name,
                "category": self.category,
                "skeleton": skel,
                "videos": self.videos,
                "flow_gaps": list(self.flow_gaps),
                "source": self.source,
            },
        )
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(self.tmp, self.out)

    @property
    def gt_dir(self) -> Path:
        """Where synthetic ground truth goes (``<dataset>/gt``), created on demand."""
        d = self.tmp / fmt.GT_DIR
        d.mkdir(exist_ok=True)
        return d

    def video(self, name: str) -> VideoWriter:
        self.videos.append(name)
        return VideoWriter(self.tmp / name)


class VideoWriter:
    """Writes one video folder; see :mod:`herd.data.format` for what each file holds."""

    def __init__(self, root: Path):
        self.root = root
        (root / fmt.IMAGES_DIR).mkdir(parents=True)
        (root / fmt.MASKS_DIR).mkdir()
        self.num_frames = 0
        self.size: tuple[int, int] | None = None

    def write_frame(self, i: int, rgb: np.ndarray, mask: np.ndarray, ext: str = ".png") -> None:
        """Frame ``i``: ``(H, W, 3)`` uint8 RGB and ``(H, W)`` bool or uint8 mask."""
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and mask.shape == rgb.shape[:2]
        m = (np.asarray(mask) > 0).astype(np.uint8) * 255
        if ext == ".png":
            write_png(self.root / fmt.IMAGES_DIR / fmt.frame_name(i, ext), rgb)
        else:
            Image.fromarray(rgb).save(self.root / fmt.IMAGES_DIR / fmt.frame_name(i, ext), quality=95)
        write_png(self.root / fmt.MASKS_DIR / fmt.frame_name(i), m)
        self.num_frames = max(self.num_frames, i + 1)
        self.size = (rgb.shape[0], rgb.shape[1])

    def write_flow(self, direction: str, gap: int, flow: np.ndarray) -> None:
        """``(F-gap, H, W, 3)`` dx, dy, confidence (see :func:`herd.data.format.flow_name`)."""
        (self.root / fmt.FLOW_DIR).mkdir(exist_ok=True)
        np.save(self.root / fmt.FLOW_DIR / fmt.flow_name(direction, gap), flow.astype(np.float16))

    def finish(
        self,
        intrinsics: np.ndarray,
        detected: np.ndarray,
        frame_indices: np.ndarray | None = None,
        init_obj2cam: np.ndarray | None = None,
        keypoints: np.ndarray | None = None,
        keypoint_names: list[str] | None = None,
        keypoint_sigma_px: float | None = None,
        flow_sigma_px: float | None = None,
        depth: np.ndarray | None = None,
        keypoints_mirrored: bool = False,
        view_logp: np.ndarray | None = None,
        extra: dict | None = None,
    ) -> None:
        """Write the per-video arrays and ``video.json``.

        Args:
            intrinsics: ``(4,)`` or ``(F, 4)`` fx, fy, cx, cy in pixels.
            detected: ``(F,)`` bool, False where the object was not found (its mask is empty).
            frame_indices: ``(F,)`` raw frame index of each frame in the source video.
            init_obj2cam: ``(F, 4, 4)`` initial object-to-camera poses (OpenCV camera).
            keypoints: ``(F, K, 3)`` x, y, confidence; ``keypoint_names`` names the K joints.
            keypoint_sigma_px: how far off the keypoints are (standard deviation per coordinate, in
                pixels; 0 for exact ones); None when unknown. Training trusts them accordingly.
            flow_sigma_px: the same for the optical flow (0 for rendered, exact flow).
            depth: ``(F, H, W)`` camera z, 0 on the background.
            keypoints_mirrored: the keypoints may have the body's left and right swapped (a
                silhouette cannot tell them apart); training takes the better of the two.
            view_logp: ``(F, V)`` log-probabilities of the viewpoint bins
                (:func:`herd.geometry.transforms.view_rotations`).
        """
        F = self.num_frames
        assert self.size is not None, "write_frame before finish"
        H, W = self.size
        K = np.asarray(intrinsics, dtype=np.float64)
        if K.ndim == 1:
            K = np.tile(K, (F, 1))
        np.save(self.root / fmt.INTRINSICS, K)
        if init_obj2cam is not None:
            np.save(self.root / fmt.INIT_POSES, np.asarray(init_obj2cam, dtype=np.float64))
        if keypoints is not None:
            np.save(self.root / fmt.KEYPOINTS, np.asarray(keypoints, dtype=np.float32))
        if depth is not None:
            np.save(self.root / fmt.DEPTH, np.asarray(depth, dtype=np.float16))
        if view_logp is not None:
            np.save(self.root / fmt.VIEW_LOGP, np.asarray(view_logp, dtype=np.float32))
        info = {
            "num_frames": F,
            "height": H,
            "width": W,
            "frame_indices": [int(x) for x in (np.arange(F) if frame_indices is None else frame_indices)],
            "detected": [bool(x) for x in detected],
            "keypoint_names": list(keypoint_names) if keypoint_names is not None else None,
        }
        for key, sigma in zip(fmt.CUE_SIGMA_KEYS, (keypoint_sigma_px, flow_sigma_px)):
            if sigma is not None:
                info[key] = float(sigma)
        if keypoints_mirrored:
            info["keypoints_mirrored"] = True
        info.update(extra or {})
        write_json(self.root / fmt.VIDEO_JSON, info)
