"""A run's checkpoints, ``<run>/ckpt_<suffix>.pth``: which file a suffix names, how it is read
(tensors and plain data only), and the errors a user sees, the same for resuming a training and
for every command that uses a trained run."""

from __future__ import annotations

from pathlib import Path

import torch

from herd.errors import HerdInputError

#: bumped when saved parameters change shape or meaning (2: one root-pose network per video)
CHECKPOINT_FORMAT = "herd-checkpoint-2"


def checkpoint_path(run_dir: Path, suffix: str = "") -> Path:
    """``<run_dir>/ckpt_<suffix>.pth``; an empty suffix is ``latest``."""
    return Path(run_dir) / f"ckpt_{suffix or 'latest'}.pth"


def check_checkpoint_format(ck: dict, path: Path) -> None:
    """A clear error for a file that is not a checkpoint of this version of herd."""
    fmt = ck.get("format") if isinstance(ck, dict) else None
    if fmt == CHECKPOINT_FORMAT:
        return
    if isinstance(fmt, str) and fmt.startswith("herd-checkpoint-"):
        raise HerdInputError(
            f"{path}: written by another version of herd ({fmt}; this one reads {CHECKPOINT_FORMAT}); retrain the run"
        )
    raise HerdInputError(f"{path}: not a herd checkpoint; retrain the run")


def read_checkpoint(path: Path, device: str | torch.device = "cpu") -> dict:
    """Open a checkpoint with ``weights_only=True`` (tensors and plain data only, so no code in it
    runs) and check its format. A file that does not load (torn by a crash, cut short in a copy,
    or carrying pickled objects) is refused with one line naming it."""
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # noqa: BLE001 - whatever the damage, the file is unusable
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        raise HerdInputError(
            f"{path}: damaged or not a plain herd checkpoint ({reason}); resume from another "
            f"ckpt_NNNN.pth of the run (--load_suffix) or retrain it"
        ) from None
    check_checkpoint_format(ck, path)
    return ck


def open_checkpoint(run_dir: Path, suffix: str = "", device: str | torch.device = "cpu") -> tuple[Path, dict]:
    """The checkpoint ``--load_suffix`` names (``latest`` when empty) of the run in ``run_dir``,
    read by :func:`read_checkpoint`. Returns ``(path, checkpoint)``.

    Raises:
        HerdInputError: no such file (the message lists the suffixes the run has), or a file that
            is damaged or of another format.
    """
    path = checkpoint_path(run_dir, suffix)
    if not path.is_file():
        have = sorted(p.stem[5:] for p in Path(run_dir).glob("ckpt_*.pth")) or "none"
        raise HerdInputError(
            f"{path}: no such checkpoint; train the run first, or pick --load_suffix from {have} "
            f"(and pass --flagfile {Path(run_dir) / 'opts.log'})"
        )
    return path, read_checkpoint(path, device)


def load_model_state(model: torch.nn.Module, ck: dict, path: Path) -> None:
    """Load ``ck["model"]`` into ``model``; parameters of other shapes or names (options other
    than the run's) are one line telling to pass the run's flagfile."""
    try:
        model.load_state_dict(ck["model"])
    except RuntimeError as e:
        raise HerdInputError(
            f"{path}: checkpoint does not match these options ({str(e).splitlines()[0]}); "
            f"pass --flagfile {path.parent / 'opts.log'}"
        ) from None
