"""Benchmark datasets made by ``herd preprocess`` once and reused, but only while the code that
made them is the same: a dataset's fingerprint is stored beside it (``<dataset>.preprocessed-by``),
so a new cue network or flow is never scored on the old one's cues."""

from __future__ import annotations

import contextlib
from pathlib import Path


def preprocess_fingerprint(root: Path | None = None) -> str:
    """A short hash of what decides what ``herd preprocess`` writes: the sources and the shipped
    weights under ``root`` (``herd/preprocess`` by default) and the versions of OpenCV (the flow)
    and mediapipe (people's poses)."""
    import hashlib
    from importlib import metadata

    if root is None:
        import herd.preprocess

        root = Path(herd.preprocess.__file__).parent
    h = hashlib.sha1()
    for package in ("opencv-python-headless", "opencv-python", "mediapipe"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"{package}=={metadata.version(package)}\0".encode())
    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".npz")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def _stamp(data: Path) -> Path:
    return data.with_name(data.name + ".preprocessed-by")


def mark_current(data: Path, fingerprint: str) -> None:
    """Record that ``data`` was just written by preprocessing code with this fingerprint."""
    _stamp(data).write_text(fingerprint + "\n")


def is_current(data: Path, fingerprint: str) -> bool:
    """Whether the preprocessed dataset ``data`` was written by preprocessing code with this
    fingerprint (a dataset from older code, e.g. before a new cue network, is made again)."""
    stamp = _stamp(data)
    return (data / "manifest.json").is_file() and stamp.is_file() and stamp.read_text().strip() == fingerprint
