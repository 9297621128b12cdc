"""Dataset format version 1: names of files and arrays, and the manifest schema.

The full description for users is ``docs/dataset.md``; this module is its single source in code.

Layout of a category folder::

    manifest.json                 format, version, name, category, skeleton, videos, flow gaps
    <video>/video.json            frame count, size, raw frame indices, detected flags, ...
    <video>/images/00000.png      RGB frames (.png or .jpg), H x W
    <video>/masks/00000.png       object masks, single channel, 0 = background, 255 = object
    <video>/intrinsics.npy        (F, 4) float64 fx, fy, cx, cy in pixels
    <video>/flow/fw_<g>.npy       (F-g, H, W, 3) float16: dx, dy, confidence; frame t -> t+g
    <video>/flow/bw_<g>.npy       (F-g, H, W, 3) float16: dx, dy, confidence; frame t+g -> t
    <video>/init_obj2cam.npy      optional (F, 4, 4) float64 initial object-to-camera poses
    <video>/keypoints.npy         optional (F, K, 3) float32 x, y, confidence (pixels)
    <video>/depth.npy             optional (F, H, W) float16 camera z in metres, 0 = background
    <video>/view_logp.npy         optional (F, V) float32 log-probabilities of the viewpoint bins
    gt/                           synthetic ground truth only (see herd.data.ground_truth)
"""

from __future__ import annotations

FORMAT_NAME = "herd-dataset"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
FLOW_GAPS = (1, 2, 4, 8)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")

MANIFEST = "manifest.json"
VIDEO_JSON = "video.json"
#: video.json keys stating a cue's error (pixels, per coordinate; 0 exact, absent unknown)
CUE_SIGMA_KEYS = ("keypoint_sigma_px", "flow_sigma_px")
IMAGES_DIR = "images"
MASKS_DIR = "masks"
FLOW_DIR = "flow"
INTRINSICS = "intrinsics.npy"
INIT_POSES = "init_obj2cam.npy"
KEYPOINTS = "keypoints.npy"
DEPTH = "depth.npy"
VIEW_LOGP = "view_logp.npy"
GT_DIR = "gt"


def frame_name(i: int, ext: str = ".png") -> str:
    """File name of frame ``i`` (0-based position in the video, not the raw index)."""
    return f"{i:05d}{ext}"


def flow_name(direction: str, gap: int) -> str:
    """``fw_<gap>.npy`` (frame t -> t+gap) or ``bw_<gap>.npy`` (frame t+gap -> t)."""
    assert direction in ("fw", "bw")
    return f"{direction}_{gap}.npy"
