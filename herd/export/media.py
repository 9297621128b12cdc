"""Writing frame sequences: H.264 mp4 through imageio-ffmpeg's bundled ffmpeg, and PNG frames."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import numpy as np
from PIL import Image


class VideoWriter:
    """An mp4 (H.264, yuv420p) fed ``(H, W, 3)`` uint8 frames; sides are padded to even sizes.

    Args:
        path: the ``.mp4`` to write.
        fps: frames per second.
    """

    def __init__(self, path: Path, fps: float = 10.0):
        self.path, self.fps = Path(path), fps
        self._gen: Generator[None, np.ndarray | None, None] | None = None

    def add(self, frame: np.ndarray) -> None:
        import imageio_ffmpeg

        if self._gen is None:
            H, W = frame.shape[:2]
            self._size = (W + W % 2, H + H % 2)
            self._gen = imageio_ffmpeg.write_frames(
                str(self.path),
                self._size,
                fps=self.fps,
                codec="libx264",
                pix_fmt_in="rgb24",
                pix_fmt_out="yuv420p",
                quality=8,
                macro_block_size=1,
                ffmpeg_log_level="error",
            )
            self._gen.send(None)
        W, H = self._size
        pad = np.full((H, W, 3), 255, np.uint8)
        pad[: frame.shape[0], : frame.shape[1]] = frame
        self._gen.send(np.ascontiguousarray(pad))

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None


def read_video(path: Path) -> np.ndarray:
    """``(N, H, W, 3)`` uint8 frames of a video file."""
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    W, H = meta["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(H, W, 3) for f in gen])


def write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
