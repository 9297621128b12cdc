"""Build ``<run>/report/``: one static page with the run's curves, videos, 3D models, metrics and
commands. Everything is inside the folder (models embedded as data URIs, so the page works from
``file://``, where browsers refuse to fetch files), and the 3D viewer is Google's
``<model-viewer>`` (UMD build, three.js bundled) copied from the pinned npm package with its
licences (``make tools`` installs it into ``tools/node_modules``).

Layout::

    report/index.html      the page
    report/models.js       window.HERD_MODELS = {name: "data:model/gltf-binary;base64,..."}
    report/media/*.mp4     rendered videos
    report/vendor/         model-viewer-umd.min.js, LICENSE-model-viewer, LICENSE-three, VERSIONS
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from herd.atomic import atomic_dir
from herd.errors import HerdInputError
from herd.report.charts import line_chart
from herd.report.page import render_page
from herd.run.folders import read_commands

REPO = Path(__file__).resolve().parents[2]
VIEWER_PACKAGES = (REPO / "tools" / "node_modules",)


def find_viewer() -> Path:
    """The installed ``@google/model-viewer`` package folder."""
    for root in VIEWER_PACKAGES:
        p = root / "@google" / "model-viewer"
        if (p / "dist" / "model-viewer-umd.min.js").is_file():
            return p
    raise HerdInputError(
        "the 3D viewer (<model-viewer>) is not installed; run 'make tools' in the herd repository "
        "(installs the pinned npm package into tools/node_modules)"
    )


def _vendor(dst: Path) -> None:
    mv = find_viewer()
    three = mv.parent.parent / "three"
    dst.mkdir()
    shutil.copy(mv / "dist" / "model-viewer-umd.min.js", dst / "model-viewer-umd.min.js")
    shutil.copy(mv / "LICENSE", dst / "LICENSE-model-viewer")
    versions = {"@google/model-viewer": json.loads((mv / "package.json").read_text())["version"]}
    if (three / "LICENSE").is_file():
        shutil.copy(three / "LICENSE", dst / "LICENSE-three")
        versions["three"] = json.loads((three / "package.json").read_text())["version"]
    (dst / "VERSIONS").write_text("".join(f"{k} {v}\n" for k, v in versions.items()))


def _scalars(run: Path) -> dict[str, list[tuple[float, float]]]:
    """TensorBoard scalars of the run: ``{tag: [(step, value), ...]}``."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import (
            EventAccumulator,
        )
    except ImportError:
        return {}
    acc = EventAccumulator(str(run), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags().get("scalars", [])}


def _charts(run: Path, history: list[dict]) -> list[str]:
    s = _scalars(run)
    charts = []
    losses = {k.split("/", 1)[1]: v for k, v in s.items() if k.startswith("loss/") and k != "loss/total"}
    if "loss/total" in s:
        charts.append(line_chart("total loss", {"total": s["loss/total"]}, log_y=True))
    if losses:
        charts.append(line_chart("loss terms", dict(sorted(losses.items())[:6]), log_y=True))
    if history:
        charts.append(
            line_chart(
                "mask IoU (4 frames) over training time",
                {"mask IoU": [(h["time"] / 60, h["mask_iou"]) for h in history]},
                xlabel="minutes",
            )
        )
    if "train/lr" in s:
        charts.append(line_chart("learning rate", {"lr": s["train/lr"]}))
    return charts


def _videos(run: Path, media: Path) -> list[dict]:
    """Copy rendered videos into ``media/``; returns ``[{"title", "src"}]``."""
    out = []
    for folder in sorted(run.glob("renderings_*/*")) + sorted(run.glob("reanimate_*")):
        if not folder.is_dir():
            continue
        for name in ("compare", "rgb", "normal", "xyz"):
            f = folder / f"{name}.mp4"
            if f.is_file() and not (name != "compare" and folder.name == "ref" and name == "rgb"):
                rel = f.relative_to(run)
                dst = media / ("-".join(rel.parts))
                shutil.copy(f, dst)
                out.append({"title": f"{rel.parent} {name}", "src": f"media/{dst.name}"})
    return out


def _models(run: Path) -> tuple[dict[str, str], list[str]]:
    """Embedded GLBs (name -> data URI) and the round names that have bones/proxy GLBs."""
    models, rounds = {}, []
    for f in sorted(run.glob("export_*/animated.glb")) + sorted(run.glob("reanimate_*/animated.glb")):
        models[str(f.relative_to(run))] = f
    for f in sorted(run.glob("*-proxy.glb")):
        r = f.name.split("-")[0]
        rounds.append(r)
        models[f"{r}-proxy.glb"] = f
        if (run / f"{r}-bones.glb").is_file():
            models[f"{r}-bones.glb"] = run / f"{r}-bones.glb"
    return {
        k: "data:model/gltf-binary;base64," + base64.b64encode(v.read_bytes()).decode() for k, v in models.items()
    }, rounds


def build_report(run: Path) -> Path:
    """Write ``run/report/`` (atomically) and return the path of ``index.html``."""
    from herd.run.summary import run_summary

    run = Path(run)
    if not (run / "opts.log").is_file():
        raise HerdInputError(f"{run}: not a training run (no opts.log); pass logdir/<seqname>-<logname>")
    summary = run_summary(run)
    metrics = None
    if (run / "eval" / "metrics.json").is_file():
        metrics = json.loads((run / "eval" / "metrics.json").read_text())["metrics"]
    out = run / "report"
    with atomic_dir(out) as tmp:
        _vendor(tmp / "vendor")
        (tmp / "media").mkdir()
        videos = _videos(run, tmp / "media")
        models, rounds = _models(run)
        (tmp / "models.js").write_text("window.HERD_MODELS = " + json.dumps(models) + ";\n")
        page = render_page(
            title=run.name,
            summary=summary,
            charts=_charts(run, summary["history"]),
            videos=videos,
            animated=[k for k in models if k.endswith("animated.glb")],
            rounds=rounds,
            metrics=metrics,
            commands=read_commands(run),
            opts=(run / "opts.log").read_text().splitlines(),
        )
        (tmp / "index.html").write_text(page)
    return out / "index.html"
