"""Synthetic ground truth under ``<dataset>/gt/``: written by ``herd synth``, read only by evaluation.

Layout (``F`` frames, ``V`` vertices, ``J`` joints; camera space is the video's own camera)::

    gt/info.json                          videos, held-out view count, transfer pairs, settings
    gt/<video>/body.json                  morphology, bone lengths (B,), motion name, rest joints
    gt/<video>/rest_mesh.npz              verts (V, 3) object space, faces (T, 3), weights (V, J)
    gt/<video>/posed_verts_cam.npy        (F, V, 3) float32 posed mesh in camera space
    gt/<video>/joints_cam.npy             (F, J, 3) float32 joints in camera space
    gt/<video>/obj2cam.npy                (F, 4, 4) true object-to-camera poses
    gt/<video>/local_rot.npy              (F, J, 3, 3) true joint rotations (procedural bodies)
    gt/<video>/heldout/<k>/images|masks/  held-out view k of the same frames
    gt/<video>/heldout/<k>/obj2cam.npy    (F, 4, 4) object to held-out camera
    gt/<video>/heldout/<k>/intrinsics.npy (F, 4)
    gt/transfer/<A>_on_<B>/...            body B doing video A's motion seen by A's cameras:
                                          images, masks, obj2cam.npy, intrinsics.npy, pair.json
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from PIL import Image

from herd.errors import HerdInputError


@dataclasses.dataclass
class View:
    """Rendered images of a ground-truth view.

    Attributes:
        root: its folder.
        obj2cam: ``(F, 4, 4)`` object to this view's camera (OpenCV).
        intrinsics: ``(F, 4)`` fx, fy, cx, cy.
    """

    root: Path
    obj2cam: np.ndarray
    intrinsics: np.ndarray

    @staticmethod
    def load(root: Path) -> View:
        if not (root / "obj2cam.npy").is_file():
            raise HerdInputError(f"{root}: missing ground-truth view; regenerate the dataset with herd synth")
        return View(root, np.load(root / "obj2cam.npy"), np.load(root / "intrinsics.npy"))

    def __len__(self) -> int:
        return len(self.obj2cam)

    def image(self, i: int) -> np.ndarray:
        """``(H, W, 3)`` uint8."""
        return np.asarray(Image.open(self.root / "images" / f"{i:05d}.png").convert("RGB"))

    def mask(self, i: int) -> np.ndarray:
        """``(H, W)`` bool."""
        return np.asarray(Image.open(self.root / "masks" / f"{i:05d}.png")) > 127


def synthetic_source(frames_dir: str | Path) -> tuple[Path, str] | None:
    """The ``herd synth`` dataset and video whose frames ``frames_dir`` holds (``<dataset>/<video>/images``
    of a dataset with ground truth), or None: what ``herd preprocess`` records so that evaluation
    can follow its input back to the truth."""
    p = Path(frames_dir).resolve()
    root = p.parent.parent
    if not (p.is_dir() and p.name == "images" and (root / "gt" / "info.json").is_file()):
        return None
    try:
        videos = json.loads((root / "gt" / "info.json").read_text()).get("videos", [])
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return None
    return (root, p.parent.name) if p.parent.name in videos else None


class GroundTruth:
    """Reader of ``<dataset>/gt``. Only evaluation and tests use it."""

    def __init__(self, dataset_root: str | Path):
        self.root = Path(dataset_root) / "gt"
        if not (self.root / "info.json").is_file():
            raise HerdInputError(
                f"{self.root}: no synthetic ground truth here; metrics against ground truth need a herd synth dataset"
            )
        self.info = json.loads((self.root / "info.json").read_text())

    def body(self, video: str) -> dict:
        return json.loads((self.root / video / "body.json").read_text())

    def rest_mesh(self, video: str) -> dict[str, np.ndarray]:
        with np.load(self.root / video / "rest_mesh.npz") as z:
            return {k: z[k] for k in z.files}

    def array(self, video: str, name: str) -> np.ndarray:
        """One of ``posed_verts_cam``, ``joints_cam``, ``obj2cam``, ``local_rot``."""
        return np.load(self.root / video / f"{name}.npy")

    def heldout(self, video: str) -> list[View]:
        return [View.load(self.root / video / "heldout" / str(k)) for k in range(self.info["heldout_views"])]

    def transfer_pairs(self) -> list[dict]:
        """``[{"name", "motion", "body"}]``: body video B doing motion video A's motion."""
        return list(self.info.get("transfer", []))

    def transfer(self, name: str) -> View:
        return View.load(self.root / "transfer" / name)
