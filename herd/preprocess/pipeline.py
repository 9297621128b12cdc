"""The preprocessing pipeline of one dataset: for every input, read -> masks -> skip near-duplicate
frames -> crop -> flow, then write the dataset atomically.

Resumable: each video's finished stages are kept under ``<out>.work/<video>/`` with a key of the
input and the options; a rerun skips stages whose outputs exist with the same key. The work folder
is removed when the dataset is complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from herd.data.format import FLOW_GAPS
from herd.data.ground_truth import synthetic_source
from herd.data.output_dir import check_dataset_out
from herd.data.skeletons import BUILTIN
from herd.data.writer import DatasetWriter
from herd.errors import HerdInputError
from herd.preprocess.crop import (
    crop_image,
    crop_intrinsics,
    object_crops,
    raw_intrinsics,
)
from herd.preprocess.flow import dis_flow, flow_pair
from herd.preprocess.human_pose import (
    JOINT_LANDMARKS,
    Landmarks,
    crop_keypoints,
    detect_landmarks,
    root_poses,
)
from herd.preprocess.masks import make_masks
from herd.preprocess.native_logs import native_logs_filtered
from herd.preprocess.sources import Source, read_source
from herd.preprocess.work import StageTimes, VideoWork

MIN_FRAMES = 8
GENERIC_FOLDERS = ("jpegimages", "images", "frames", "rgb")


@dataclasses.dataclass
class PreprocessConfig:
    """Options of ``herd preprocess``.

    Attributes:
        inputs: video files or frame folders, one per individual.
        category: human or quad (sets the skeleton).
        out: the dataset folder to create.
        masks: one mask folder per input (same order), or None.
        mask_model: a salient-object ONNX model, or None.
        fps: keep about this many frames per second of a video (None: all).
        max_frames: at most this many frames per input (0: all).
        res: side of the square crops in pixels.
        focal: focal length of the raw frames in pixels (None: the larger image side).
        min_motion: skip a frame whose median motion inside the mask since the last kept frame is
            below this many pixels of a 256-pixel crop (0: keep all).
        workers: threads for optical flow.
        pose: where keypoints and root poses come from: ``mediapipe`` (people only: keypoints and
            initial root poses), ``cuenet`` (herd's own network for the category,
            :mod:`herd.preprocess.cue_net`: keypoints and viewpoint probabilities), ``none``, or
            ``auto``: mediapipe for people when it is installed, else the cue network where herd
            ships one for the category.
        overwrite: replace an existing dataset (a herd dataset or an empty folder only).
        progress: progress bars.
        verbose: let third-party native log lines through (mediapipe's;
            :mod:`herd.preprocess.native_logs`).
    """

    inputs: list[Path]
    category: str
    out: Path
    masks: list[Path] | None = None
    mask_model: Path | None = None
    fps: float | None = None
    max_frames: int = 0
    res: int = 256
    focal: float | None = None
    min_motion: float = 0.5
    workers: int = 2
    pose: str = "auto"
    overwrite: bool = False
    progress: bool = True
    verbose: bool = False


def _key(path: Path, cfg: PreprocessConfig, mask_dir: Path | None) -> str:
    st = path.stat()
    parts = [
        str(path.resolve()),
        st.st_size,
        int(st.st_mtime),
        cfg.category,
        cfg.fps,
        cfg.max_frames,
        cfg.res,
        cfg.focal,
        cfg.min_motion,
        str(mask_dir),
        str(cfg.mask_model),
        pose_source(cfg),
    ]
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def pose_source(cfg: PreprocessConfig) -> str:
    """Where keypoints and root poses come from: ``mediapipe``, ``cuenet`` or ``none`` (see
    ``PreprocessConfig.pose``)."""
    from herd.preprocess.cue_net import weights_path

    has_net = weights_path(cfg.category).is_file()
    if cfg.pose == "none":
        return "none"
    if cfg.pose == "mediapipe":
        if cfg.category != "human":
            raise HerdInputError(
                f"--pose mediapipe: finds people only; use --pose cuenet or none for --category {cfg.category}"
            )
        return "mediapipe"
    if cfg.pose == "cuenet":
        if not has_net:
            raise HerdInputError(
                f"--pose cuenet: herd ships no cue network for --category {cfg.category}; "
                "build one with python -m herd.cuenet, or use --pose none"
            )
        return "cuenet"
    if cfg.pose != "auto":
        raise HerdInputError(f"--pose {cfg.pose}: choose auto, mediapipe, cuenet or none")
    if cfg.category == "human" and importlib.util.find_spec("mediapipe") is not None:
        return "mediapipe"
    return "cuenet" if has_net else "none"


def human_landmarks(
    frames: np.ndarray, crops: np.ndarray, masks: np.ndarray, name: str, work: VideoWork, progress: bool
) -> Landmarks:
    """The pose landmarks of one video's kept frames (a resumable stage)."""
    if work.has("lm_image"):
        return Landmarks(work.load("lm_image"), work.load("lm_world"), work.load("lm_found"))
    with tqdm(total=len(frames), desc=f"pose {name}", unit="frame", disable=not progress, leave=False) as bar:
        lm = detect_landmarks(frames, crops, masks, progress=bar.update)
    work.save("lm_world", lm.world)
    work.save("lm_found", lm.found)
    work.save("lm_image", lm.image)  # last: its presence marks the stage done
    return lm


def keep_moving_frames(frames: np.ndarray, masks: np.ndarray, min_motion: float) -> np.ndarray:
    """Indices of frames to keep: a frame is skipped when the median flow inside the object since
    the last kept frame is under ``min_motion`` pixels (at a 256-pixel scale). Frames without the
    object are kept (they are marked, not dropped)."""
    if min_motion <= 0 or len(frames) < 2:
        return np.arange(len(frames))
    H, W = frames.shape[1:3]
    s = 256 / max(H, W)
    small = [cv2.resize(f, (max(int(W * s), 8), max(int(H * s), 8)), interpolation=cv2.INTER_AREA) for f in frames]
    keep, last = [0], 0
    for i in range(1, len(frames)):
        m = cv2.resize(masks[i].astype(np.uint8), small[i].shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
        if not m.any():
            keep.append(i)
            continue
        mag = np.linalg.norm(dis_flow(small[last], small[i]), axis=-1)[m]
        if np.median(mag) >= min_motion:
            keep.append(i)
            last = i
    return np.array(keep)


def process_video(
    src: Source, mask_dir: Path | None, cfg: PreprocessConfig, work: VideoWork, times: StageTimes | None = None
) -> dict:
    """Run the stages of one input; returns what the writer needs. ``times`` collects the seconds
    each stage took (a stage resumed from the work folder adds nothing)."""
    times = StageTimes() if times is None else times
    if work.has("masks"):
        masks = work.load("masks")
    else:
        with times("masks"):
            masks = make_masks(src, cfg.category, mask_dir, cfg.mask_model)
        work.save("masks", masks)
    if work.has("keep"):
        keep = work.load("keep")
    else:
        with times("motion filter"):
            keep = keep_moving_frames(src.frames, masks, cfg.min_motion)
        work.save("keep", keep)
    frames, masks = src.frames[keep], masks[keep]
    detected = masks.reshape(len(masks), -1).any(1)
    if detected.sum() < MIN_FRAMES:
        raise HerdInputError(
            f"{src.path}: only {int(detected.sum())} usable frames with the object (after skipping "
            f"near-duplicates); a video needs at least {MIN_FRAMES}. Use a longer clip or --min_motion 0"
        )
    with times("crop"):
        crops = object_crops(masks)
        H, W = src.frames.shape[1:3]
        K_raw = raw_intrinsics(W, H, cfg.focal)
        rgb = np.stack([crop_image(f, c, cfg.res) for f, c in zip(frames, crops)])
        cmask = np.stack([crop_image(m, c, cfg.res, is_mask=True) for m, c in zip(masks, crops)])
    detected &= cmask.reshape(len(cmask), -1).any(1)
    K = np.stack([crop_intrinsics(K_raw, c, cfg.res) for c in crops])
    pose: dict[str, Any] = {}  # keyword arguments of VideoWriter.finish
    source = pose_source(cfg)
    if source == "mediapipe":
        with times("pose"):
            lm = human_landmarks(frames, crops, masks, src.name, work, cfg.progress)
        names = list(JOINT_LANDMARKS)
        pose = {
            "init_obj2cam": root_poses(lm, K_raw, BUILTIN["human"]),
            "keypoint_names": names,
            "keypoints": crop_keypoints(lm, crops, cfg.res, names),
        }
        if cfg.progress:
            print(
                f"  {src.name}: a person in {int(lm.found.sum())} of {len(frames)} frames"
                + (
                    ""
                    if pose["init_obj2cam"] is not None
                    else "; too few for initial poses (train with --init_pose search)"
                ),
                flush=True,
            )
    flows = {}
    F = len(rgb)
    for g in FLOW_GAPS:
        if g >= F:
            continue
        if work.has(f"fw_{g}") and work.has(f"bw_{g}"):
            flows[("fw", g)], flows[("bw", g)] = work.load(f"fw_{g}"), work.load(f"bw_{g}")
            continue
        with times("flow"), ThreadPoolExecutor(max(cfg.workers, 1)) as pool:
            pairs = list(
                tqdm(
                    pool.map(lambda t, g=g: flow_pair(rgb[t], rgb[t + g]), range(F - g)),
                    total=F - g,
                    desc=f"flow {src.name} gap {g}",
                    unit="pair",
                    disable=not cfg.progress,
                    leave=False,
                )
            )
        fw = np.stack([p[0] for p in pairs]).astype(np.float16)
        bw = np.stack([p[1] for p in pairs]).astype(np.float16)
        work.save(f"fw_{g}", fw)
        work.save(f"bw_{g}", bw)
        flows[("fw", g)], flows[("bw", g)] = fw, bw
    if source == "cuenet":
        from herd.preprocess.cue_net import estimate_cues, load_cue_net

        with times("cue net"):
            loaded = load_cue_net(cfg.category)
            assert loaded is not None  # pose_source found its weights
            net, header = loaded
            est = estimate_cues(net, header, cmask, flows.get(("fw", 1)), flows.get(("bw", 1)), cfg.res)
        pose = {
            "keypoints": est["keypoints"],
            "keypoint_names": est["keypoint_names"],
            "keypoint_sigma_px": est["keypoint_sigma_px"],
            "keypoints_mirrored": True,
            "view_logp": est["view_logp"],
        }
    return {
        "rgb": rgb,
        "mask": cmask,
        "detected": detected,
        "K": K,
        "flows": flows,
        "raw_indices": src.raw_indices[keep],
        "crops": crops,
        "raw_size": [W, H],
        "raw_K": K_raw,
        "pose": pose,
    }


def preprocess(cfg: PreprocessConfig) -> Path:
    """Build the dataset; returns its folder."""
    with native_logs_filtered(not cfg.verbose):
        return _preprocess(cfg)


def _preprocess(cfg: PreprocessConfig) -> Path:
    if cfg.category not in ("human", "quad"):
        raise HerdInputError(f"--category {cfg.category}: choose human or quad")
    if cfg.masks is not None and len(cfg.masks) != len(cfg.inputs):
        raise HerdInputError(
            f"--masks: {len(cfg.masks)} folders for {len(cfg.inputs)} inputs; give one mask folder per input, in order"
        )
    out = Path(cfg.out)
    check_dataset_out(out, cfg.overwrite)  # before reading a frame
    names: list[str] = []
    for given in cfg.inputs:
        p = Path(given).resolve()
        n = p.stem if p.is_file() else p.name
        if p.is_dir() and n.lower() in GENERIC_FOLDERS:  # DAVIS-style <clip>/JPEGImages
            n = p.parent.name
        while n in names:
            n += "_"
        names.append(n)
    work_root = out.with_name(out.name + ".work")
    results = []
    times, total_frames = StageTimes(), 0
    for i, (given, name) in enumerate(zip(cfg.inputs, names)):
        path = Path(given)
        mask_dir = cfg.masks[i] if cfg.masks else None
        with times("read"):
            src = read_source(path, cfg.fps, cfg.max_frames, name)
        total_frames += len(src.frames)
        if cfg.progress:
            print(f"[{i + 1}/{len(cfg.inputs)}] {path}: {len(src.frames)} frames", flush=True)
        if len(src.frames) < MIN_FRAMES:
            raise HerdInputError(f"{path}: {len(src.frames)} frames; a video needs at least {MIN_FRAMES}")
        work = VideoWork(work_root / name, _key(path, cfg, mask_dir))
        try:
            results.append((name, process_video(src, mask_dir, cfg, work, times)))
        except HerdInputError:  # bad input: its stage outputs are worthless
            shutil.rmtree(work.root, ignore_errors=True)
            if not any(work_root.iterdir()):
                work_root.rmdir()
            raise
    skeleton = BUILTIN[cfg.category]
    truth = [synthetic_source(p) for p in cfg.inputs]
    with (
        times("write"),
        DatasetWriter(
            out,
            name=out.name,
            category=cfg.category,
            skeleton=skeleton,
            overwrite=cfg.overwrite,
            source={"tool": "herd preprocess", "inputs": [str(p) for p in cfg.inputs]},
        ) as w,
    ):
        for (name, r), truth_src in zip(results, truth):
            v = w.video(name)
            for t in range(len(r["rgb"])):
                v.write_frame(t, r["rgb"][t], r["mask"][t], ext=".jpg")
            for (d, g), f in r["flows"].items():
                v.write_flow(d, g, f)
            extra = {
                "crops": np.round(r["crops"], 3).tolist(),
                "raw_size": r["raw_size"],
                "raw_intrinsics": np.round(r["raw_K"], 3).tolist(),
            }
            if truth_src is not None:  # frames of a herd synth video: evaluation can follow them to its truth
                extra["ground_truth"] = {
                    "dataset": str(truth_src[0]),
                    "dataset_relative": os.path.relpath(truth_src[0], out.resolve()),
                    "video": truth_src[1],
                }
            v.finish(
                intrinsics=r["K"], detected=r["detected"], frame_indices=r["raw_indices"], **r["pose"], extra=extra
            )
    shutil.rmtree(work_root, ignore_errors=True)
    if cfg.progress:
        print(f"{out}: {total_frames} input frames; {times.summary(total_frames)}", flush=True)
    return out
