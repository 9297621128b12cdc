"""Object masks, in order of preference: the user's mask folders; for people, mediapipe's person
segmentation (optional extra ``herd[human]``, its model ships inside the wheel); a salient-object
ONNX model the user supplies (``--mask_model``, run with onnxruntime)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from herd.errors import HerdInputError
from herd.preprocess.sources import Source, image_files


def read_mask(path: Path) -> np.ndarray:
    """``(H, W)`` bool from a binary (0/1, 0/255), greyscale or palette PNG: any non-zero value (or
    palette index) is the object. Several object ids are merged into one object."""
    try:
        im = Image.open(path)
        a = np.asarray(im if im.mode in ("P", "L", "1", "I", "I;16") else im.convert("L"))
    except (UnidentifiedImageError, OSError) as e:
        raise HerdInputError(f"{path}: corrupt or unreadable mask ({e}); replace it") from None
    return a > 0


def folder_masks(folder: Path, src: Source) -> np.ndarray:
    """``(F, H, W)`` bool masks from a folder with one mask per input frame (sorted by name), picked
    at the kept frames' raw indices."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HerdInputError(f"{folder}: no such mask folder; pass one folder of PNG masks per input to --masks")
    files = image_files(folder)
    need = int(src.raw_indices.max()) + 1
    if len(files) < need:
        raise HerdInputError(
            f"{folder}: {len(files)} masks for {src.path} which has at least {need} frames; "
            f"give one mask per frame (an empty mask where the object is absent)"
        )
    H, W = src.frames.shape[1:3]
    out = []
    for i in src.raw_indices:
        m = read_mask(files[i])
        if m.shape != (H, W):
            raise HerdInputError(
                f"{files[i]}: mask is {m.shape[1]}x{m.shape[0]} but the frames of {src.path} are "
                f"{W}x{H}; masks must match their frames"
            )
        out.append(m)
    masks = np.stack(out)
    if not masks.any():
        raise HerdInputError(f"{folder}: every mask is empty; the object must be marked (non-zero) in some frames")
    return masks


def person_masks(src: Source) -> np.ndarray:
    """``(F, H, W)`` bool masks of one person from mediapipe's pose landmarker with segmentation
    (its model ships in the wheel); empty where no person is found. The landmarker follows one
    person, where mediapipe's selfie segmentation marks everyone (mask IoU on DAVIS dance-twirl,
    dancer before a crowd, first 40 frames: 0.84 against 0.63)."""
    from herd.preprocess.human_pose import import_mediapipe

    mp = import_mediapipe("human masks without --masks DIR")
    out = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, enable_segmentation=True) as pose:
        for f in src.frames:
            seg = pose.process(np.ascontiguousarray(f)).segmentation_mask
            out.append(np.zeros(f.shape[:2], bool) if seg is None else seg > 0.5)
    return np.stack(out)


def onnx_masks(src: Source, model: Path, size: int = 320) -> np.ndarray:
    """``(F, H, W)`` bool masks from a user-supplied salient-object ONNX model: input ``(1, 3, S, S)``
    float RGB normalised with ImageNet mean/std, first output ``(1, 1, s, s)`` saliency (logits or
    probabilities; min-max normalised per frame, threshold 0.5)."""
    import cv2

    model = Path(model)
    if not model.is_file():
        raise HerdInputError(
            f"--mask_model {model}: no such file; pass a salient-object segmentation model in ONNX format"
        )
    try:
        import onnxruntime as ort
    except ImportError:
        raise HerdInputError("--mask_model needs onnxruntime: pip install onnxruntime") from None
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    H, W = src.frames.shape[1:3]
    out = []
    for f in src.frames:
        x = (cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) / 255.0 - mean) / std
        y = sess.run(None, {inp.name: x.transpose(2, 0, 1)[None].astype(np.float32)})[0]
        s = np.asarray(y).reshape(y.shape[-2], y.shape[-1])
        s = (s - s.min()) / max(s.max() - s.min(), 1e-6)
        out.append(cv2.resize(s.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR) > 0.5)
    return np.stack(out)


def make_masks(src: Source, category: str, mask_dir: Path | None, mask_model: Path | None) -> np.ndarray:
    """The best mask source available for this input (see the module docstring)."""
    if mask_dir is not None:
        return folder_masks(mask_dir, src)
    if mask_model is not None:
        return onnx_masks(src, mask_model)
    if category == "human":
        return person_masks(src)
    raise HerdInputError(
        f"{src.path}: no masks for a {category} video; pass --masks DIR (one PNG per frame) or "
        f"--mask_model FILE.onnx (a salient-object model)"
    )
