"""A contact sheet of rigged assets as ``herd synth`` poses them (``docs/images/assets-contact-sheet.png``).

One row per asset and motion: the asset's own moving clip (if it has one) and herd's built-in
actions retargeted onto its rig, four frames each, seen from a fixed front-left camera in object
space. ``python -m herd.bench.asset_sheet ../shared/data/assets/*.glb --out sheet.png``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from herd.data.writer import write_png
from herd.geometry.transforms import apply_transform, look_at
from herd.synth.asset import AssetMotion, load_asset, make_asset_body, make_asset_motion
from herd.synth.render import render_body


def _frames(body, motion, ts, res: int) -> list[np.ndarray]:
    posed = [body.pose(motion, t)[0] for t in ts]
    allv = np.concatenate(posed)
    lo, hi = allv.min(axis=0), allv.max(axis=0)
    centre = (lo + hi) / 2
    size = float(np.linalg.norm(hi - lo))
    eye = centre + size * np.array([0.55, 0.35, 1.0])
    w2c = look_at(eye, centre)
    f = res * 1.1
    K = np.array([f, f, res / 2, res / 2])
    light = np.array([-0.3, -0.6, -0.75])
    light /= np.linalg.norm(light)
    return [render_body(body, apply_transform(w2c, v), K, res, light, np.array([0.85, 0.85, 0.82]))[0] for v in posed]


def contact_sheet(paths: list[Path], res: int = 160, actions: tuple[str, ...] = ("walk", "wave")) -> np.ndarray:
    """``(rows * res, 4 * res, 3)`` uint8 image: per asset its own clip and each built-in action."""
    rows = []
    for path in paths:
        asset = load_asset(path)
        body = make_asset_body(asset, None)
        motions = []
        if asset.moving_clips:
            clip = next((c for c in asset.moving_clips if "walk" in c.lower()), asset.moving_clips[0])
            motions.append(make_asset_motion(asset, np.random.default_rng(0), 24, 24.0, clip=clip))
        if asset.joint_map is not None:
            kinds = {"human": actions, "quad": ("walk", "sit")}[asset.joint_map.kind]
            motions += [make_asset_motion(asset, np.random.default_rng(1), 24, 10.0, actions=[a]) for a in kinds]
        for m in motions:
            frames = _frames(body, m, [0, 6, 12, 18], res)
            rows.append(np.concatenate(frames, axis=1))
            label = m.clip if isinstance(m, AssetMotion) else f"built-in {m.name}"
            print(f"{asset.name}: {label}")
    return np.concatenate(rows, axis=0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m herd.bench.asset_sheet", description=__doc__.splitlines()[0])
    p.add_argument("assets", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--res", type=int, default=160)
    a = p.parse_args(argv)
    write_png(a.out, contact_sheet(a.assets, a.res))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
