"""Output folders, checked before any work: that herd can write where it is told to, and that a
folder ``--overwrite`` would replace is one herd made (a dataset with herd's manifest) or an empty
one, so that a user's own files are never deleted."""

from __future__ import annotations

import json
import os
from pathlib import Path

from herd.data import format as fmt
from herd.errors import HerdInputError


def check_writable(path: Path, flag: str) -> None:
    """``path`` (a folder that may not exist yet) can be made and written into: the nearest folder
    of it or above it that exists is a writable folder, and nothing on the way is a file."""
    path = Path(path)
    have = path
    while not have.exists() and have != have.parent:
        have = have.parent
    if not have.is_dir():
        raise HerdInputError(f"{flag} {path}: {have} is a file, not a folder; choose another {flag}")
    if not os.access(have, os.W_OK | os.X_OK):
        raise HerdInputError(
            f"{flag} {path}: {have} is not writable by this user; choose another {flag} or make {have} writable"
        )


def is_herd_dataset(path: Path) -> bool:
    """``path`` holds a manifest written by herd (docs/dataset.md)."""
    try:
        manifest = json.loads((Path(path) / fmt.MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == fmt.FORMAT_NAME


def check_dataset_out(out: Path, overwrite: bool, flag: str = "--out") -> None:
    """A dataset is written as ``<out>.partial`` beside ``out`` and renamed over it: the folder
    above must be writable, and an existing ``out`` is replaced only with ``overwrite`` and only
    when it is a herd dataset or empty."""
    out = Path(out)
    check_writable(out.parent, flag)
    if not out.exists():
        return
    if not out.is_dir():
        raise HerdInputError(f"{flag} {out}: is a file; choose another {flag}")
    if not overwrite:
        raise HerdInputError(f"{out}: already exists; choose another {flag} or pass --overwrite")
    if any(out.iterdir()) and not is_herd_dataset(out):
        raise HerdInputError(
            f"{flag} {out}: not a herd dataset (no herd manifest.json) and not empty; --overwrite "
            f"replaces only those, so choose another {flag} or empty it yourself"
        )
