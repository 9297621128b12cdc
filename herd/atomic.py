"""Outputs that appear only when complete: a folder or a file is written under a temporary name
beside its final one, flushed to disk, then renamed over it (``os.replace``, atomic within a file
system). A crash, a kill or a full disk leaves the old output or none, never a torn one."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


@contextlib.contextmanager
def atomic_dir(out: Path):
    """Yield ``<out>.partial/`` to write into; on success it replaces ``out`` (an older ``out`` is
    removed), on an error or Ctrl-C it is deleted and ``out`` is left as it was."""
    out = Path(out)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, durable: bool = True):
    """Yield ``<path>.tmp`` to write (by name); on success it is renamed over ``path``, and with
    ``durable`` fsynced first (and the folder after, so the rename survives a power cut); on an
    error or Ctrl-C it is deleted and ``path`` is left as it was. ``durable=False`` suits files
    rewritten every few seconds that a power cut may lose (a progress record)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync(path.parent)


def write_text_atomic(path: Path, text: str, durable: bool = True) -> None:
    """``path.write_text(text)``, atomically (:func:`atomic_file`)."""
    with atomic_file(path, durable) as tmp:
        tmp.write_text(text)
