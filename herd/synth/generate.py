"""Render a synthetic category into the dataset format, with ground truth under ``gt/`` (options:
:class:`herd.synth.config.SynthConfig`, importable from here as well)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from herd.data import format as fmt
from herd.data.output_dir import check_dataset_out
from herd.data.skeletons import get_skeleton
from herd.data.writer import DatasetWriter, VideoWriter, write_json, write_png
from herd.geometry.raster import project
from herd.geometry.transforms import apply_transform, random_rotation_noise
from herd.synth.cameras import body_centre_world, make_orbit_camera
from herd.synth.config import SynthConfig, video_frames
from herd.synth.flow import exact_flow
from herd.synth.render import render_body

if TYPE_CHECKING:
    from herd.geometry.skeleton import Skeleton
    from herd.synth.cameras import OrbitCamera
    from herd.synth.rigged_asset import RiggedAsset
    from herd.synth.types import Body, Motion


@dataclasses.dataclass
class _Video:
    body: Body
    motion: Motion
    camera: OrbitCamera
    light: np.ndarray
    background: np.ndarray


def _make_individual(
    cfg: SynthConfig, rng: np.random.Generator, assets: list[RiggedAsset], F: int, video: int
) -> tuple[Body, Motion]:
    if assets:
        from herd.synth.asset import ASSET_HEIGHT, builtin_height, make_asset_body, make_asset_motion

        asset = assets[video % len(assets)]
        shared = len(assets) > 1
        asset_body = make_asset_body(asset, rng, shared=shared)
        height = ASSET_HEIGHT
        if shared:
            assert asset.kind is not None  # _load_assets maps shared assets onto one built-in skeleton
            height = builtin_height(asset.kind)
        motion = make_asset_motion(asset, rng, F, cfg.fps, actions=cfg.actions, height=height)
        return asset_body, motion
    from herd.synth.bodies import ProceduralBody, sample_morphology
    from herd.synth.motion import make_motion

    base = get_skeleton(cfg.category or "quad")
    body = ProceduralBody(base, sample_morphology(base, rng, cfg.morphology_spread))
    motion = make_motion(body.skeleton, F, rng, actions=cfg.actions, fps=cfg.fps)
    return body, motion


def _load_assets(cfg: SynthConfig) -> tuple[list[RiggedAsset], Skeleton, str, bool]:
    """The assets, the dataset's skeleton, category name and whether the skeleton is built in."""
    from herd.errors import HerdInputError
    from herd.synth.asset import load_asset

    assert cfg.asset is not None  # synthesize calls this for assets only
    paths = [cfg.asset] if isinstance(cfg.asset, (str, Path)) else list(cfg.asset)
    assets = [load_asset(p, cfg.category) for p in paths]
    if len(assets) == 1:
        a = assets[0]
        return assets, a.skeleton, Path(paths[0]).stem.lower(), False
    kinds = {a.kind for a in assets}
    if None in kinds or len(kinds) > 1:
        names = ", ".join(f"{a.name} ({a.kind or 'unmapped'})" for a in assets)
        raise HerdInputError(
            f"--asset: the assets do not map onto one built-in skeleton ({names}); "
            "pass assets of one kind, or --category human|quad to map them all onto one"
        )
    kind = kinds.pop()
    assert kind is not None  # checked above
    return assets, get_skeleton(kind), kind, True


def _individual(cfg: SynthConfig, assets: list, category: str, i: int) -> tuple[_Video, np.random.Generator]:
    """Video ``i``'s individual, motion, camera, light and background, and its random stream as
    left for the rest of the video (noise on keypoints and initial poses); the same whenever and
    wherever it is called."""
    rng = np.random.default_rng([cfg.seed, i])
    body, motion = _make_individual(cfg, rng, assets, video_frames(cfg, i), i)
    centres, radius = body_centre_world(motion.obj2world, body.rest_verts)
    kind = assets[i % len(assets)].kind if assets else category
    elev = (0.0, 25.0) if kind == "human" else (5.0, 35.0)
    cam = make_orbit_camera(rng, cfg.res, centres, radius, cfg.fps, elev)
    light = np.array([rng.uniform(-0.5, 0.5), -rng.uniform(0.4, 0.8), -rng.uniform(0.4, 0.7)])
    light /= np.linalg.norm(light)
    bg = rng.uniform(0.55, 0.85, size=3)
    return _Video(body, motion, cam, light, bg), rng


#: what a worker process needs, set before the pool forks (the assets are not pickled per video)
_JOB: dict = {}


def _render_video(i: int) -> list[tuple[type, str]]:
    """Render and write video ``i`` (in a worker or in this process); returns the warnings it raised."""
    cfg, assets, category, root, gt = (_JOB[k] for k in ("cfg", "assets", "category", "root", "gt"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vid, rng = _individual(cfg, assets, category, i)
        name = f"v{i:03d}"
        _write_video(VideoWriter(root / name), gt, name, vid, cfg, rng)
    return [(w.category, str(w.message)) for w in caught]


def _write_videos(writer: DatasetWriter, gt: Path, cfg: SynthConfig, assets: list, category: str) -> None:
    """Every video of the category, ``cfg.workers`` at a time; listed in the manifest in order."""
    workers = cfg.workers or (os.cpu_count() or 1)
    workers = min(workers, cfg.videos)
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    _JOB.update(cfg=cfg, assets=assets, category=category, root=writer.tmp, gt=gt)
    try:
        if workers > 1:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                done = pool.map(_render_video, range(cfg.videos))
                results = list(
                    tqdm(done, total=cfg.videos, desc="synth videos", unit="video", disable=not cfg.progress)
                )
        else:
            results = [
                _render_video(i)
                for i in tqdm(range(cfg.videos), desc="synth videos", unit="video", disable=not cfg.progress)
            ]
    finally:
        _JOB.clear()
    for caught in results:
        for category_, message in caught:
            warnings.warn(message, category_, stacklevel=2)
    writer.videos.extend(f"v{i:03d}" for i in range(cfg.videos))


def _posed(body, motion) -> tuple[np.ndarray, np.ndarray]:
    """``(F, V, 3)`` vertices and ``(F, J, 3)`` joints in world space."""
    vs, js = zip(*(body.pose(motion, t) for t in range(motion.num_frames)))
    return (apply_transform(motion.obj2world, np.stack(vs)), apply_transform(motion.obj2world, np.stack(js)))


def _render_view_folder(
    root: Path,
    body,
    verts_world: np.ndarray,
    world2cam: np.ndarray,
    obj2world: np.ndarray,
    K: np.ndarray,
    res: int,
    light: np.ndarray,
    bg: np.ndarray,
) -> None:
    """Render every frame of a ground-truth view into ``root`` (images, masks, cameras)."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for t in range(len(verts_world)):
        rgb, r = render_body(body, apply_transform(world2cam[t], verts_world[t]), K, res, light, bg)
        write_png(root / "images" / fmt.frame_name(t), rgb)
        write_png(root / "masks" / fmt.frame_name(t), r.mask.astype(np.uint8) * 255)
    np.save(root / "obj2cam.npy", world2cam @ obj2world)
    np.save(root / "intrinsics.npy", np.tile(K, (len(verts_world), 1)))


def synthesize(cfg: SynthConfig) -> Path:
    """Generate the dataset described by ``cfg``; returns its folder.

    Everything random comes from ``numpy.random.default_rng([seed, video])``, so videos are
    independent of each other and of the number of videos.
    """
    check_dataset_out(cfg.out, cfg.overwrite)  # before any work
    assets: list = []
    if cfg.asset is not None:
        assets, skeleton, category, builtin = _load_assets(cfg)
    else:
        category = cfg.category or "quad"
        skeleton, builtin = get_skeleton(category), True
    res = cfg.res
    name = cfg.name or Path(cfg.out).name
    source = {
        "generator": "herd synth",
        "seed": cfg.seed,
        "category": category,
        "res": res,
        "frames": cfg.frames,
        "asset": ([a.path.name for a in assets] if len(assets) > 1 else assets[0].path.name) if assets else None,
    }
    with DatasetWriter(
        cfg.out,
        name=name,
        category=category,
        skeleton=skeleton,
        overwrite=cfg.overwrite,
        builtin_skeleton=builtin,
        source=source,
        flow_gaps=fmt.FLOW_GAPS if cfg.flow else (),
    ) as writer:
        gt = writer.gt_dir
        _write_videos(writer, gt, cfg, assets, category)

        def individual(i: int) -> _Video:  # again, for the transfer targets (its warnings were shown)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _individual(cfg, assets, category, i)[0]

        videos = {i: individual(i) for pair in _transfer_pairs(cfg.videos, cfg.transfer_pairs) for i in pair}
        pairs = _transfer_pairs(cfg.videos, cfg.transfer_pairs)
        for a, b in pairs:
            A, B = videos[a], videos[b]
            verts_world, _ = _posed(B.body, A.motion)
            root = gt / "transfer" / f"v{a:03d}_on_v{b:03d}"
            _render_view_folder(
                root,
                B.body,
                verts_world,
                A.camera.world2cam(),
                A.motion.obj2world,
                A.camera.intrinsics,
                res,
                A.light,
                A.background,
            )
            write_json(root / "pair.json", {"motion": f"v{a:03d}", "body": f"v{b:03d}"})
        write_json(
            gt / "info.json",
            {
                "videos": [f"v{i:03d}" for i in range(cfg.videos)],
                "heldout_views": cfg.heldout_views,
                "transfer": [
                    {"name": f"v{a:03d}_on_v{b:03d}", "motion": f"v{a:03d}", "body": f"v{b:03d}"} for a, b in pairs
                ],
                "fps": cfg.fps,
                "init_rot_noise_deg": cfg.init_rot_noise_deg,
                "kp_noise_px": cfg.kp_noise_px,
            },
        )
    return Path(cfg.out)


def _transfer_pairs(n: int, k: int) -> list[tuple[int, int]]:
    """``(motion video A, body video B)`` pairs: (0, 1), (1, 2), ... up to ``k`` of them."""
    if n < 2:
        return []
    return [(i, (i + 1) % n) for i in range(min(k, n))]


def _write_video(v: VideoWriter, gt: Path, name: str, vid: _Video, cfg: SynthConfig, rng: np.random.Generator) -> None:
    res = cfg.res
    body, motion, cam = vid.body, vid.motion, vid.camera
    F = motion.num_frames
    K = cam.intrinsics
    verts_world, joints_world = _posed(body, motion)
    world2cam = cam.world2cam()
    obj2cam = world2cam @ motion.obj2world
    verts_cam = apply_transform(world2cam, verts_world)
    joints_cam = apply_transform(world2cam, joints_world)
    rasters = []
    for t in range(F):
        rgb, r = render_body(body, verts_cam[t], K, res, vid.light, vid.background)
        rasters.append(r)
        v.write_frame(t, rgb, r.mask)
    for gap in fmt.FLOW_GAPS if cfg.flow else ():
        if F <= gap:
            continue
        fw = np.stack(
            [exact_flow(rasters[t], body.faces, verts_cam[t + gap], rasters[t + gap], K) for t in range(F - gap)]
        )
        bw = np.stack([exact_flow(rasters[t + gap], body.faces, verts_cam[t], rasters[t], K) for t in range(F - gap)])
        v.write_flow("fw", gap, fw)
        v.write_flow("bw", gap, bw)
    kp = project(joints_cam, K)
    conf = (
        (kp[..., 0] >= 0)
        & (kp[..., 0] <= res - 1)
        & (kp[..., 1] >= 0)
        & (kp[..., 1] <= res - 1)
        & (joints_cam[..., 2] > 0)
    ).astype(np.float32)
    if cfg.kp_noise_px > 0:
        kp = kp + rng.normal(0, cfg.kp_noise_px, size=kp.shape)
    keypoints = np.concatenate([kp, conf[..., None]], axis=-1)
    noise = (
        random_rotation_noise(rng, cfg.init_rot_noise_deg, F)
        if cfg.init_rot_noise_deg > 0
        else np.tile(np.eye(3), (F, 1, 1))
    )
    init = obj2cam.copy()
    init[:, :3, :3] = noise @ obj2cam[:, :3, :3]
    depth = np.stack([r.depth for r in rasters])
    v.finish(
        intrinsics=K,
        detected=np.array([r.mask.any() for r in rasters]),
        init_obj2cam=init,
        keypoints=keypoints,
        keypoint_names=list(body.skeleton.joint_names),
        keypoint_sigma_px=cfg.kp_noise_px,
        flow_sigma_px=0.0,
        depth=depth,
        extra={"fps": cfg.fps},
    )
    # ground truth
    g = gt / name
    g.mkdir(parents=True)
    np.savez(
        g / "rest_mesh.npz",
        verts=body.rest_verts.astype(np.float32),
        faces=body.faces.astype(np.int32),
        weights=getattr(body, "weights", np.zeros((len(body.rest_verts), 0))).astype(np.float32),
    )
    np.save(g / "posed_verts_cam.npy", verts_cam.astype(np.float32))
    np.save(g / "joints_cam.npy", joints_cam.astype(np.float32))
    np.save(g / "obj2cam.npy", obj2cam)
    if hasattr(motion, "local_rot") and motion.local_rot.shape[1] == body.skeleton.num_joints:
        np.save(g / "local_rot.npy", motion.local_rot.astype(np.float32))
    write_json(
        g / "body.json",
        {
            "params": body.params,
            "bone_lengths": np.round(body.bone_lengths(), 6).tolist(),
            "rest_joints": np.round(body.skeleton.rest_joints, 6).tolist(),
            "motion": motion.name,
        },
    )
    for k in range(cfg.heldout_views):
        az = 2 * np.pi * (k + 1) / (cfg.heldout_views + 1)
        el = np.deg2rad(10.0) * (1 if k % 2 == 0 else -0.5)
        _render_view_folder(
            g / "heldout" / str(k),
            body,
            verts_world,
            cam.world2cam(az, el, shake=False),
            motion.obj2world,
            K,
            res,
            vid.light,
            vid.background,
        )
