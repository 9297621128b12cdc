"""Where a run's synthetic ground truth is, and how its frames and cameras map onto it.

Two kinds of dataset have ground truth:

- a ``herd synth`` dataset, trained as it is: its own ``gt/``; its frames are the truth's frames
  and its cameras the true cameras;
- a dataset that ``herd preprocess`` made from a ``herd synth`` dataset's ``<video>/images``
  folders (the real path: images and masks in, every other cue estimated). Each ``video.json``
  records where its truth is (``ground_truth``). Its frames are square crops of the synthetic frames
  (``frame_indices`` says which frames were kept: the motion filter skips near-duplicates), and its
  cameras are the synthetic cameras with the crop's intrinsics, whose focal length was *assumed*
  (the larger image side unless ``--focal`` gave it), not known.

``herd eval --gt DATASET`` links any dataset to a ``herd synth`` dataset by hand, by video name.

**The run's cameras in the true camera.** The run's root poses are object-to-camera transforms of
the true camera's rotation (a crop does not rotate the camera), so only the focal length may
differ. A point at ``(x, y, z)`` seen with the assumed focal length ``f_a`` falls on the pixel that
``(x, y, z f_t / f_a)`` falls on with the true ``f_t``. Every metric that looks at the model from
the true cameras (held-out views, geometry, joints, transfer) therefore first moves each frame's
object in depth by that ratio, its x and y kept, and its shape kept as it is
(:meth:`VideoTruth.to_true_camera`); its image is then the same up to the perspective within the
object, which is weak at the distances of casual videos. A focal length that is right gives the
ratio 1.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from herd.data.ground_truth import GroundTruth
from herd.data.reader import Dataset, Video
from herd.errors import HerdInputError


@dataclasses.dataclass
class VideoTruth:
    """One video of a run linked to its ground truth.

    Attributes:
        gt: the ground-truth reader of the ``herd synth`` dataset.
        name: the video's name there.
        frames: ``(F,)`` for each frame of the run's video, its frame in the ground truth.
        intrinsics: ``(F, 4)`` the true camera's fx, fy, cx, cy (pixels of the synthetic frames).
        size: ``(H, W)`` of the synthetic frames.
        focal_ratio: true focal length over the one the run assumed (1 when they agree).
    """

    gt: GroundTruth
    name: str
    frames: np.ndarray
    intrinsics: np.ndarray
    size: tuple[int, int]
    focal_ratio: float

    def array(self, name: str) -> np.ndarray:
        """A per-frame ground-truth array (``posed_verts_cam``, ``joints_cam``, ``obj2cam``, ...) at
        the run's frames: ``(F, ...)``."""
        return self.gt.array(self.name, name)[self.frames]

    def depth(self) -> np.ndarray:
        """``(F, H, W)`` true camera depth of the run's frames (0 on the background), metres."""
        path = self.gt.root.parent / self.name / "depth.npy"
        if not path.is_file():
            raise HerdInputError(f"{path}: missing true depth; regenerate the dataset with herd synth")
        return np.load(path, mmap_mode="r", allow_pickle=False)[self.frames]

    def to_true_camera(self, obj2cam: np.ndarray) -> np.ndarray:
        """``(..., 4, 4)`` the run's object-to-camera poses with their depth (translation z) times the
        focal ratio (module docstring): what the model looks like through the true camera."""
        out = np.array(obj2cam, dtype=np.float64, copy=True)
        out[..., 2, 3] *= self.focal_ratio
        return out

    def points_to_true_camera(self, points_cam: np.ndarray, obj2cam: np.ndarray) -> np.ndarray:
        """``(K, N, 3)`` camera-space points of ``K`` frames moved with their frame's object by
        :meth:`to_true_camera` (``obj2cam (K, 4, 4)`` the run's poses)."""
        out = np.array(points_cam, dtype=np.float64, copy=True)
        out[..., 2] += (self.focal_ratio - 1.0) * np.asarray(obj2cam)[:, None, 2, 3]
        return out


@dataclasses.dataclass
class RunTruth:
    """Ground truth of every video of a run.

    Attributes:
        gt: the ground-truth reader (one ``herd synth`` dataset for the whole run).
        videos: one :class:`VideoTruth` per video of the run, in the run's order.
    """

    gt: GroundTruth
    videos: list[VideoTruth]

    def transfer_pairs(self) -> list[dict]:
        """The synthetic motion-transfer targets whose two videos are both in the run:
        ``[{"name", "motion", "body"}]`` with *run* video indices for motion and body."""
        index = {v.name: i for i, v in enumerate(self.videos)}
        return [
            {"name": p["name"], "motion": index[p["motion"]], "body": index[p["body"]]}
            for p in self.gt.transfer_pairs()
            if p["motion"] in index and p["body"] in index
        ]


def _focal(video: Video) -> float:
    """The focal length (fx, pixels of the raw frames) a dataset's video assumed."""
    if video.raw_intrinsics is not None:
        return float(video.raw_intrinsics[0])
    return float(np.median(video.intrinsics[:, 0]))


def _truth_dataset(video: Video) -> Path | None:
    """The ``herd synth`` dataset a preprocessed video records, found beside the dataset first (a
    relative path survives moving both) and then at its absolute path."""
    rec = video.ground_truth
    if rec is None:
        return None
    dataset_root = video.root.parent
    for cand in (rec.get("dataset_relative"), rec["dataset"]):
        if cand and (dataset_root / cand / "gt" / "info.json").is_file():
            return (dataset_root / cand).resolve()
    raise HerdInputError(
        f"{video.root / 'video.json'}: its ground truth {rec['dataset']} is gone; "
        "restore that herd synth dataset or pass herd eval --gt DATASET"
    )


def _link_video(video: Video, gt: GroundTruth, gt_name: str) -> VideoTruth:
    gt_video = gt.root.parent / gt_name
    try:
        info = json.loads((gt_video / "video.json").read_text())
        K_true = np.load(gt_video / "intrinsics.npy", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise HerdInputError(
            f"{gt_video}: unreadable ground-truth video ({e}); regenerate it with herd synth"
        ) from None
    frames = np.asarray(video.frame_indices, dtype=np.int64)
    if frames.min() < 0 or frames.max() >= len(K_true):
        raise HerdInputError(
            f"{video.root / 'video.json'}: frame_indices reach frame {int(frames.max())}, but "
            f"{gt_video} has {len(K_true)} frames; is this the dataset it was made from?"
        )
    K = K_true[frames]
    return VideoTruth(
        gt=gt,
        name=gt_name,
        frames=frames,
        intrinsics=K,
        size=(int(info["height"]), int(info["width"])),
        focal_ratio=float(np.median(K[:, 0])) / _focal(video),
    )


def link_truth(ds: Dataset, gt_dataset: str | Path | None = None) -> RunTruth | None:
    """The ground truth of a run's dataset, or None when it has none (real videos).

    Args:
        ds: the run's dataset.
        gt_dataset: a ``herd synth`` dataset to link by hand (``herd eval --gt``): each video by the
            ground truth its ``video.json`` records, else by its name.
    """
    if gt_dataset is not None:
        gt = GroundTruth(gt_dataset)
        names = gt.info["videos"]
        out = []
        for v in ds.videos:
            name = v.ground_truth["video"] if v.ground_truth and v.ground_truth["video"] in names else v.name
            if name not in names:
                raise HerdInputError(
                    f"--gt {gt_dataset}: has no video {name!r} (it has {', '.join(names)}); videos are matched by name"
                )
            out.append(_link_video(v, gt, name))
        return RunTruth(gt, out)
    if (ds.root / "gt" / "info.json").is_file():
        gt = GroundTruth(ds.root)
        return RunTruth(gt, [_link_video(v, gt, v.name) for v in ds.videos])
    roots = [_truth_dataset(v) for v in ds.videos]
    found = [r for r in roots if r is not None]
    if len(found) < len(roots):
        return None
    if len(set(found)) > 1:
        raise HerdInputError(
            f"{ds.root}: its videos come from several herd synth datasets "
            f"({', '.join(sorted(map(str, set(found))))}); evaluate against one with herd eval --gt"
        )
    gt = GroundTruth(found[0])
    out = []
    for v in ds.videos:
        assert v.ground_truth is not None  # _truth_dataset found a dataset for every video
        out.append(_link_video(v, gt, v.ground_truth["video"]))
    return RunTruth(gt, out)
