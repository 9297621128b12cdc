"""Reading the inputs: a video file (mp4, mov, webm, ... through imageio-ffmpeg's bundled ffmpeg)
or a folder of frames (png/jpg, sorted by name)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from herd.errors import HerdInputError

VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


@dataclasses.dataclass
class Source:
    """Frames of one input.

    Attributes:
        path: the input; name: the video's name in the dataset.
        frames: ``(F, H, W, 3)`` uint8 RGB.
        raw_indices: ``(F,)`` index of each frame in the input (before ``--fps`` subsampling).
        fps: frame rate of the kept frames (None for a folder without one).
    """

    path: Path
    name: str
    frames: np.ndarray
    raw_indices: np.ndarray
    fps: float | None


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def _read_folder(path: Path) -> tuple[list[np.ndarray], float | None]:
    files = image_files(path)
    if not files:
        raise HerdInputError(f"{path}: no .png or .jpg frames in this folder; pass a video file or a folder of frames")
    frames: list[np.ndarray] = []
    for f in files:
        try:
            a = np.asarray(Image.open(f).convert("RGB"))
        except (UnidentifiedImageError, OSError) as e:
            raise HerdInputError(f"{f}: corrupt or unreadable frame ({e}); replace or remove it") from None
        if frames and a.shape != frames[0].shape:
            raise HerdInputError(
                f"{f}: frame is {a.shape[1]}x{a.shape[0]}, the folder's first is "
                f"{frames[0].shape[1]}x{frames[0].shape[0]}; all frames of a video need one size"
            )
        frames.append(a)
    return frames, None


def _read_video(path: Path) -> tuple[list[np.ndarray], float | None]:
    import imageio_ffmpeg

    try:
        gen = imageio_ffmpeg.read_frames(str(path))
        meta = next(gen)
        W, H = meta["size"]
        frames = [np.frombuffer(f, np.uint8).reshape(H, W, 3).copy() for f in gen]
    except (RuntimeError, OSError, StopIteration, ValueError) as e:
        msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise HerdInputError(
            f"{path}: unreadable video ({msg}); check the file plays, or extract its frames into a folder"
        ) from None
    if not frames:
        raise HerdInputError(f"{path}: the video has no frames; check the file")
    return frames, float(meta.get("fps") or 0) or None


def read_source(path: Path, fps: float | None = None, max_frames: int = 0, name: str | None = None) -> Source:
    """Read an input, keeping about ``fps`` frames per second (videos only) and at most
    ``max_frames`` frames (0: all)."""
    path = Path(path)
    if not path.exists():
        raise HerdInputError(f"{path}: no such file or folder; pass video files or frame folders to --input")
    if path.is_dir():
        frames, src_fps = _read_folder(path)
    elif path.suffix.lower() in VIDEO_EXTENSIONS:
        frames, src_fps = _read_video(path)
    else:
        raise HerdInputError(f"{path}: not a video ({', '.join(VIDEO_EXTENSIONS)}) or a folder of frames")
    idx = np.arange(len(frames))
    out_fps = src_fps
    if fps and src_fps and fps < src_fps:
        step = src_fps / fps
        idx = np.unique(np.round(np.arange(0, len(frames), step)).astype(int))
        idx = idx[idx < len(frames)]
        out_fps = fps
    if max_frames:
        idx = idx[:max_frames]
    return Source(path, name or path.stem, np.stack([frames[i] for i in idx]), idx, out_fps)
