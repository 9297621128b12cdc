"""``herd info PATH``: a readable summary of a dataset (``--json`` for machines)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from herd.errors import HerdInputError
from herd.run.flags import parse_flags


def dataset_summary(path: Path) -> dict:
    """JSON-able summary of a dataset folder (validated on the way)."""
    from herd.data.reader import load_dataset

    ds = load_dataset(path)
    return {
        "kind": "dataset",
        "path": str(ds.root),
        "name": ds.name,
        "category": ds.category,
        "skeleton": None if ds.skeleton is None else {"name": ds.skeleton.name, "joints": ds.skeleton.num_joints},
        "videos": [
            {
                "name": v.name,
                "frames": v.num_frames,
                "width": v.width,
                "height": v.height,
                "detected": int(v.detected.sum()),
                "flow_gaps": list(v.flow_gaps),
                "init_poses": v.init_obj2cam is not None,
                "keypoints": v.keypoints is not None,
                "depth": v.has_depth,
            }
            for v in ds.videos
        ],
        "total_frames": sum(v.num_frames for v in ds.videos),
        "cues": ds.cues(),
        "ground_truth": ds.has_ground_truth,
    }


def _print_dataset(s: dict) -> None:
    sk = s["skeleton"]
    print(f"dataset {s['name']}  ({s['path']})")
    print(
        f"  category   {s['category']}   skeleton {sk['name'] + ' (' + str(sk['joints']) + ' joints)' if sk else 'none'}"
    )
    print(f"  videos     {len(s['videos'])}, {s['total_frames']} frames in all")
    print("  cues       " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in s["cues"].items()))
    print(f"  gt/        {'present (synthetic ground truth)' if s['ground_truth'] else 'absent'}")
    print(f"  {'video':<14}{'frames':>7}{'size':>11}{'detected':>10}  flow gaps")
    for v in s["videos"]:
        print(
            f"  {v['name']:<14}{v['frames']:>7}{str(v['width']) + 'x' + str(v['height']):>11}{v['detected']:>10}  "
            f"{','.join(map(str, v['flow_gaps'])) or '-'}"
        )


@dataclasses.dataclass
class InfoOptions:
    """Summarise PATH: a dataset folder (with manifest.json) or a training run folder (with opts.log).

    Attributes:
        json: print JSON instead of a table.
    """

    json: bool = False


def run(argv: list[str]) -> int:
    a, paths = parse_flags(argv, InfoOptions, prog="herd info", positional="PATH")
    if len(paths) != 1:
        raise HerdInputError("give one dataset or run folder: herd info PATH (see 'herd info --help')")
    path = Path(paths[0])
    if (path / "opts.log").is_file():
        from herd.run.summary import print_run_summary, run_summary

        s = run_summary(path)
        printer = print_run_summary
    elif path.is_dir() or (path / "manifest.json").exists():
        s = dataset_summary(path)
        printer = _print_dataset
    else:
        raise HerdInputError(f"{path}: no such dataset or run folder")
    if a.json:
        print(json.dumps(s, indent=1))
    else:
        printer(s)
    return 0
