"""Output folders that appear only when complete."""

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
