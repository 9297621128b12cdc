"""Locating datasets and runs, checking that options fit the dataset, and the run's
``commands.log`` (the command lines that produced it, shown by the report)."""

from __future__ import annotations

import datetime
import shlex
from pathlib import Path

from herd.data.reader import Dataset, load_dataset
from herd.data.skeletons import BUILTIN
from herd.errors import HerdInputError
from herd.model.fg_motion import FgMotion


def dataset_path(seqname: str, data_root: str) -> Path:
    """``--seqname`` is a folder under ``--data_root`` or a path."""
    p = Path(seqname)
    if (p / "manifest.json").is_file():
        return p
    q = Path(data_root) / seqname
    if q.is_dir():
        return q
    raise HerdInputError(
        f"--seqname {seqname}: no dataset at {q} or {p}; make one with herd synth or herd preprocess, "
        f"or set --data_root"
    )


def run_path(seqname: str, logname: str, logroot: str) -> Path:
    return Path(logroot) / f"{Path(seqname).name}-{logname}"


def check_motion(fg_motion: FgMotion, ds: Dataset) -> None:
    """A skeleton motion needs a dataset with that skeleton (a custom skeleton, e.g. from a glTF
    asset, serves any ``skel-*`` motion)."""
    skel = fg_motion.skeleton
    if skel is None:
        return
    if ds.skeleton is None:
        raise HerdInputError(
            f"--fg_motion {fg_motion}: dataset {ds.root} has no skeleton; use rigid or dense, "
            f"or a dataset made for the {skel} skeleton"
        )
    if ds.skeleton.name in BUILTIN and ds.skeleton.name != skel:
        raise HerdInputError(
            f"--fg_motion {fg_motion}: dataset {ds.root} uses the {ds.skeleton.name} skeleton; "
            f"use --fg_motion comp_skel-{ds.skeleton.name}_dense or skel-{ds.skeleton.name}"
        )


def open_dataset(seqname: str, data_root: str, fg_motion: FgMotion) -> Dataset:
    ds = load_dataset(dataset_path(seqname, data_root))
    check_motion(fg_motion, ds)
    return ds


def record_command(run_dir: Path, command: str, argv: list[str]) -> None:
    """Append ``herd <command> <argv>`` with the time to ``run_dir/commands.log``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    with open(run_dir / "commands.log", "a") as f:
        f.write(f"{stamp}  herd {command} {shlex.join(argv)}\n")


def read_commands(run_dir: Path) -> list[str]:
    p = Path(run_dir) / "commands.log"
    return p.read_text().splitlines() if p.is_file() else []
