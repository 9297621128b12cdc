"""Load and validate a dataset (format version 1). The one way training reads videos.

Every problem is a :class:`herd.errors.HerdInputError` whose one-line message names the file and
the fix. :func:`load_dataset` checks structure, counts, sizes and array shapes (reading only
image headers); :meth:`Video.load_frames` and :meth:`Video.load_masks` decode and report corrupt
files. Nothing here reads ``gt/``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from herd.data import format as fmt
from herd.data.skeletons import BUILTIN
from herd.errors import HerdInputError
from herd.geometry.skeleton import Skeleton
from herd.geometry.transforms import view_rotations


def _read_json(path: Path, what: str) -> dict:
    if not path.is_file():
        raise HerdInputError(
            f"{path}: missing {what}; is this a herd dataset folder (herd synth / herd preprocess make one)?"
        )
    try:
        d = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HerdInputError(
            f"{path}: not valid JSON ({e.msg if hasattr(e, 'msg') else e}); restore or regenerate it"
        ) from None
    if not isinstance(d, dict):
        raise HerdInputError(f"{path}: expected a JSON object; restore or regenerate it")
    return d


def _load_npy(path: Path, shape: tuple, what: str, mmap: bool = True) -> np.ndarray:
    """Load an array and check its shape; ``None`` in ``shape`` matches any size."""
    if not path.is_file():
        raise HerdInputError(f"{path}: missing {what}; regenerate the dataset")
    try:
        a = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise HerdInputError(f"{path}: unreadable {what} ({e}); regenerate the dataset") from None
    if a.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape)):
        want = "x".join("*" if s is None else str(s) for s in shape)
        raise HerdInputError(
            f"{path}: {what} has shape {'x'.join(map(str, a.shape))}, expected {want}; regenerate the dataset"
        )
    return a


def _list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in fmt.IMAGE_EXTENSIONS)


@dataclasses.dataclass
class Video:
    """One video of a dataset. Arrays are memory-mapped where possible.

    Attributes:
        name: folder name.
        root: its folder.
        num_frames: ``F``.
        height, width: image size ``H, W`` in pixels.
        frame_indices: ``(F,)`` raw frame index in the source video.
        detected: ``(F,)`` bool, False where the object was not found (empty mask).
        intrinsics: ``(F, 4)`` fx, fy, cx, cy in pixels.
        image_files, mask_files: ``F`` paths each.
        init_obj2cam: optional ``(F, 4, 4)`` initial object-to-camera poses (OpenCV camera).
        keypoints: optional ``(F, K, 3)`` x, y, confidence in pixels.
        keypoint_names: optional ``K`` skeleton joint names.
        keypoint_sigma_px: standard deviation of each keypoint coordinate's error in pixels of
            this video (0: exact, as synthetic keypoints are), or None when unknown.
        flow_sigma_px: the same for each optical-flow component (0: exact, as rendered flow is),
            or None when unknown (a flow estimator's).
        has_depth: whether ``depth.npy`` is present.
        flow_gaps: gaps with flow present.
        keypoints_mirrored: the keypoints may have left and right swapped (a silhouette cue's).
        view_logp: optional ``(F, V)`` log-probabilities of the viewpoint bins
            (:func:`herd.geometry.transforms.view_rotations`).
        raw_intrinsics: ``(4,)`` fx, fy, cx, cy of the uncropped source frames (``herd preprocess``
            writes it; the focal length is its assumption unless ``--focal`` gave it), or None.
        ground_truth: where the synthetic ground truth of the source frames is, for a video that
            ``herd preprocess`` made from a ``herd synth`` video: ``{"dataset", "video"}`` (the
            dataset folder, absolute and relative to this dataset, and the video's name there);
            None otherwise. Only evaluation follows it.
    """

    name: str
    root: Path
    num_frames: int
    height: int
    width: int
    frame_indices: np.ndarray
    detected: np.ndarray
    intrinsics: np.ndarray
    image_files: list[Path]
    mask_files: list[Path]
    init_obj2cam: np.ndarray | None
    keypoints: np.ndarray | None
    keypoint_names: list[str] | None
    keypoint_sigma_px: float | None
    flow_sigma_px: float | None
    has_depth: bool
    flow_gaps: tuple[int, ...]
    keypoints_mirrored: bool = False
    view_logp: np.ndarray | None = None
    raw_intrinsics: np.ndarray | None = None
    ground_truth: dict | None = None

    def load_frame(self, i: int) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB of frame ``i``."""
        return _decode(self.image_files[i], "RGB", (self.height, self.width))

    def load_mask(self, i: int) -> np.ndarray:
        """``(H, W)`` bool object mask of frame ``i``."""
        return _decode(self.mask_files[i], "mask", (self.height, self.width))

    def load_frames(self) -> np.ndarray:
        """``(F, H, W, 3)`` uint8 RGB."""
        return np.stack([self.load_frame(i) for i in range(self.num_frames)])

    def load_masks(self) -> np.ndarray:
        """``(F, H, W)`` bool masks; checks that detected frames are non-empty."""
        masks = np.stack([self.load_mask(i) for i in range(self.num_frames)])
        for i in np.nonzero(self.detected & ~masks.any(axis=(1, 2)))[0]:
            raise HerdInputError(
                f"{self.mask_files[i]}: mask is empty but video.json marks frame {i} as detected; "
                f"set detected[{i}] to false or fix the mask"
            )
        return masks

    def load_flow(self, direction: str, gap: int) -> np.ndarray:
        """``(F-gap, H, W, 3)`` float16 dx, dy, confidence (memory-mapped)."""
        return _load_npy(
            self.root / fmt.FLOW_DIR / fmt.flow_name(direction, gap),
            (self.num_frames - gap, self.height, self.width, 3),
            "optical flow",
        )

    def load_depth(self) -> np.ndarray | None:
        """``(F, H, W)`` float16 camera z in metres (0 = background), or None."""
        if not self.has_depth:
            return None
        return _load_npy(self.root / fmt.DEPTH, (self.num_frames, self.height, self.width), "depth")


def _decode(path: Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    """Decode an image as ``"RGB"`` uint8, or as a ``"mask"``: bool, True where the object is.

    Masks may be 0/255 or 0/1 greyscale, or palette PNGs (any non-zero index is object).
    """
    try:
        with Image.open(path) as im:
            im.load()
            if mode == "mask":
                raw = np.asarray(im) if im.mode in ("P", "1") else np.asarray(im.convert("L"))
                a = raw > 0 if im.mode in ("P", "1") or raw.max() <= 1 else raw > 127
            else:
                a = np.asarray(im.convert(mode))
    except (OSError, UnidentifiedImageError, SyntaxError) as e:
        raise HerdInputError(
            f"{path}: corrupt or unreadable image ({e}); replace the file or regenerate the dataset"
        ) from None
    if a.shape[:2] != size:
        raise HerdInputError(
            f"{path}: image is {a.shape[1]}x{a.shape[0]}, expected {size[1]}x{size[0]} like the rest of the video; resize or regenerate it"
        )
    return a


@dataclasses.dataclass
class Dataset:
    """A validated category folder.

    Attributes:
        root: the folder.
        name: dataset name.
        category: free-form category name (``human``, ``quad``, ``fox`` ...).
        skeleton: the skeleton the videos' keypoints and the model use, or None.
        videos: the videos, in manifest order (video index = position here).
        flow_gaps: gaps with optical flow.
    """

    root: Path
    name: str
    category: str
    skeleton: Skeleton | None
    videos: list[Video]
    flow_gaps: tuple[int, ...]

    @property
    def has_ground_truth(self) -> bool:
        return (self.root / fmt.GT_DIR).is_dir()

    def cues(self) -> dict[str, bool]:
        """Which optional cues every video has."""
        return {
            "flow": bool(self.flow_gaps),
            "init_poses": all(v.init_obj2cam is not None for v in self.videos),
            "keypoints": all(v.keypoints is not None for v in self.videos),
            "depth": all(v.has_depth for v in self.videos),
        }


def _parse_skeleton(value: object, manifest: Path) -> Skeleton | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in BUILTIN:
            raise HerdInputError(
                f"{manifest}: unknown skeleton {value!r}; use one of {sorted(BUILTIN)}, null, or an inline definition"
            )
        return BUILTIN[value]
    if isinstance(value, dict):
        try:
            return Skeleton.from_json(value)
        except (KeyError, ValueError, TypeError) as e:
            raise HerdInputError(f"{manifest}: invalid inline skeleton ({e}); see docs/dataset.md") from None
    raise HerdInputError(f"{manifest}: 'skeleton' must be a name, an object or null; see docs/dataset.md")


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset folder (structure, counts, image sizes, array shapes).

    Raises:
        HerdInputError: with a one-line message naming the offending file and the fix.
    """
    root = Path(path)
    if not root.is_dir():
        raise HerdInputError(f"{root}: no such dataset folder; make one with herd synth or herd preprocess")
    mpath = root / fmt.MANIFEST
    m = _read_json(mpath, "manifest")
    if m.get("format") != fmt.FORMAT_NAME:
        raise HerdInputError(f"{mpath}: not a herd dataset manifest (format={m.get('format')!r}); regenerate it")
    if m.get("version") not in fmt.SUPPORTED_VERSIONS:
        raise HerdInputError(
            f"{mpath}: unknown dataset version {m.get('version')!r}; this herd reads versions "
            f"{list(fmt.SUPPORTED_VERSIONS)}, upgrade herd or regenerate the dataset"
        )
    for key in ("name", "category", "videos"):
        if key not in m:
            raise HerdInputError(f"{mpath}: missing key {key!r}; see docs/dataset.md")
    if not isinstance(m["videos"], list) or not m["videos"]:
        raise HerdInputError(f"{mpath}: 'videos' must be a non-empty list of video folder names")
    skeleton = _parse_skeleton(m.get("skeleton"), mpath)
    gaps = tuple(int(g) for g in m.get("flow_gaps", []))
    videos = [_load_video(root / str(name), gaps, skeleton) for name in m["videos"]]
    return Dataset(
        root=root, name=str(m["name"]), category=str(m["category"]), skeleton=skeleton, videos=videos, flow_gaps=gaps
    )


def _load_video(vroot: Path, gaps: tuple[int, ...], skeleton: Skeleton | None) -> Video:
    if not vroot.is_dir():
        raise HerdInputError(
            f"{vroot}: video folder listed in manifest.json is missing; restore it or remove it from 'videos'"
        )
    vj = vroot / fmt.VIDEO_JSON
    info = _read_json(vj, "video description")
    try:
        F, H, W = int(info["num_frames"]), int(info["height"]), int(info["width"])
    except (KeyError, TypeError, ValueError):
        raise HerdInputError(f"{vj}: needs integer num_frames, height and width; see docs/dataset.md") from None
    images = _list_images(vroot / fmt.IMAGES_DIR) if (vroot / fmt.IMAGES_DIR).is_dir() else []
    masks = _list_images(vroot / fmt.MASKS_DIR) if (vroot / fmt.MASKS_DIR).is_dir() else []
    if len(images) != F:
        raise HerdInputError(
            f"{vroot / fmt.IMAGES_DIR}: {len(images)} frames, but video.json says {F}; restore the missing frames or regenerate the dataset"
        )
    if len(masks) != len(images):
        raise HerdInputError(
            f"{vroot / fmt.MASKS_DIR}: {len(masks)} masks for {len(images)} frames; every frame needs a mask (an empty one where the object is absent)"
        )
    for i, (a, b) in enumerate(zip(images, masks)):
        if a.stem != fmt.frame_name(i, "").rstrip(".") or b.stem != a.stem:
            raise HerdInputError(
                f"{b if a.stem == fmt.frame_name(i, '') else a}: expected frame {fmt.frame_name(i, '')}; frames and masks must be numbered 00000, 00001, ... without gaps"
            )
    for p in images + masks:
        _check_header(p, H, W)
    detected = np.asarray(info.get("detected", [True] * F), dtype=bool)
    frame_indices = np.asarray(info.get("frame_indices", list(range(F))), dtype=np.int64)
    if detected.shape != (F,) or frame_indices.shape != (F,):
        raise HerdInputError(f"{vj}: 'detected' and 'frame_indices' need {F} entries each; regenerate the dataset")
    if not detected.any():
        raise HerdInputError(f"{vj}: no frame has the object detected; check the masks of this video or drop it")
    intrinsics = np.array(_load_npy(vroot / fmt.INTRINSICS, (F, 4), "camera intrinsics", mmap=False))
    if not np.all(np.isfinite(intrinsics)) or np.any(intrinsics[:, :2] <= 0):
        raise HerdInputError(f"{vroot / fmt.INTRINSICS}: focal lengths must be positive and finite; fix the intrinsics")
    present = []
    for g in gaps:
        if g < F:
            for d in ("fw", "bw"):
                p = vroot / fmt.FLOW_DIR / fmt.flow_name(d, g)
                _load_npy(p, (F - g, H, W, 3), "optical flow")
            present.append(g)
    init = None
    if (vroot / fmt.INIT_POSES).exists():
        init = np.array(_load_npy(vroot / fmt.INIT_POSES, (F, 4, 4), "initial poses", mmap=False))
    kps, names = None, info.get("keypoint_names")
    if (vroot / fmt.KEYPOINTS).exists():
        kps = np.array(_load_npy(vroot / fmt.KEYPOINTS, (F, None, 3), "keypoints", mmap=False))
        if names is None or len(names) != kps.shape[1]:
            raise HerdInputError(f"{vj}: 'keypoint_names' must name the {kps.shape[1]} keypoints in keypoints.npy")
        if skeleton is not None:
            unknown = [n for n in names if n not in skeleton.joint_names]
            if unknown:
                raise HerdInputError(
                    f"{vj}: keypoint names {unknown[:3]} are not joints of skeleton {skeleton.name!r}; rename them after its joints"
                )
    sigma = {key: _cue_sigma(info, key, vj) for key in fmt.CUE_SIGMA_KEYS}
    has_depth = (vroot / fmt.DEPTH).exists()
    if has_depth:
        _load_npy(vroot / fmt.DEPTH, (F, H, W), "depth")
    view_logp = None
    if (vroot / fmt.VIEW_LOGP).exists():
        view_logp = np.array(
            _load_npy(vroot / fmt.VIEW_LOGP, (F, len(view_rotations())), "viewpoint log-probabilities", mmap=False)
        )
    raw_K = info.get("raw_intrinsics")
    if raw_K is not None:
        try:
            raw_K = np.asarray(raw_K, dtype=np.float64)
        except (TypeError, ValueError):
            raw_K = None
        if raw_K is None or raw_K.shape != (4,) or not np.all(np.isfinite(raw_K)) or raw_K[0] <= 0:
            raise HerdInputError(
                f"{vj}: 'raw_intrinsics' must be four numbers fx, fy, cx, cy (fx > 0); fix or remove it"
            )
    truth = info.get("ground_truth")
    if truth is not None and not (
        isinstance(truth, dict) and isinstance(truth.get("video"), str) and isinstance(truth.get("dataset"), str)
    ):
        raise HerdInputError(f'{vj}: \'ground_truth\' must be {{"dataset": folder, "video": name}}; fix or remove it')
    return Video(
        name=vroot.name,
        root=vroot,
        num_frames=F,
        height=H,
        width=W,
        frame_indices=frame_indices,
        detected=detected,
        intrinsics=intrinsics,
        image_files=images,
        mask_files=masks,
        init_obj2cam=init,
        keypoints=kps,
        keypoint_names=names,
        keypoint_sigma_px=sigma["keypoint_sigma_px"],
        flow_sigma_px=sigma["flow_sigma_px"],
        has_depth=has_depth,
        flow_gaps=tuple(present),
        keypoints_mirrored=bool(info.get("keypoints_mirrored", False)),
        view_logp=view_logp,
        raw_intrinsics=raw_K,
        ground_truth=truth,
    )


def _cue_sigma(info: dict, key: str, vj: Path) -> float | None:
    """A cue's stated error (``keypoint_sigma_px``, ``flow_sigma_px``) from video.json, or None."""
    sigma = info.get(key)
    if sigma is not None and (
        isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not np.isfinite(sigma) or sigma < 0
    ):
        raise HerdInputError(
            f"{vj}: {key!r} must be a number >= 0 (the cue's error in pixels) or absent; fix video.json"
        )
    return None if sigma is None else float(sigma)


def _check_header(path: Path, H: int, W: int) -> None:
    try:
        with Image.open(path) as im:
            w, h = im.size
    except (OSError, UnidentifiedImageError) as e:
        raise HerdInputError(
            f"{path}: corrupt or unreadable image ({e}); replace the file or regenerate the dataset"
        ) from None
    if (h, w) != (H, W):
        raise HerdInputError(
            f"{path}: image is {w}x{h}, expected {W}x{H} from video.json; resize it or regenerate the dataset"
        )
