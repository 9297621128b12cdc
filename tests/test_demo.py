"""End to end (make test-slow): ``herd demo --quick`` produces every artefact, valid, and its web
report shows the animated model in a real browser (headless Chromium) without console errors."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import validate_gltf

from herd.cli.main import main as herd_main
from herd.export.media import read_video

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert herd_main(["demo", "--quick", "--out", str(out)]) == 0
    return out / "logdir" / "demo-quad-quick-demo"


def test_demo_artefacts_exist_and_are_valid(demo):
    ref = demo / "renderings_0000" / "ref"
    for name in ("rgb", "mask", "depth", "normal", "xyz", "compare"):
        frames = read_video(ref / f"{name}.mp4")
        assert frames.shape[0] == 16 and frames.std() > 5, name
    turn = read_video(next((demo / "renderings_0000").glob("rot-20-360-freeze*")) / "rgb.mp4")
    assert turn.shape[0] == 16
    glbs = [
        demo / "export_0000" / "animated.glb",
        demo / "reanimate_0000_on_0001" / "animated.glb",
        *sorted(demo.glob("*-bones.glb"))[-1:],
        *sorted(demo.glob("*-proxy.glb"))[-1:],
    ]
    for report in validate_gltf(*glbs):
        assert report["issues"]["numErrors"] == 0, (report["file"], report["issues"]["messages"][:3])
    assert len(list((demo / "export_0000" / "mesh").glob("*.ply"))) == 16
    metrics = json.loads((demo / "eval" / "metrics.json").read_text())["metrics"]
    assert metrics["ref_mask_iou"]["mean"] > 0.6  # smoke-level: three minutes of training at 48 px
    assert metrics["heldout_mask_iou"]["mean"] > 0.3
    assert 0 < metrics["chamfer_cm"]["mean"] < 40 and metrics["fscore_5pct"]["mean"] > 0.3
    assert 0 < metrics["seq_chamfer_cm"]["mean"] < 60 and 0 < metrics["seq_fscore_10cm"]["mean"] <= 1
    assert "transfer_mask_iou" in metrics and "bone_length_r" in metrics
    index = demo / "report" / "index.html"
    assert index.is_file() and (demo / "report" / "vendor" / "LICENSE-model-viewer").is_file()
    commands = (demo / "commands.log").read_text()
    assert all(f"herd {c} " in commands for c in ("train", "render", "export", "reanimate", "eval"))


def test_report_shows_the_model_in_a_browser(demo, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is needed for the browser test: apt-get install chromium (make test-slow does)")
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((demo / "report" / "index.html").resolve().as_uri())
        page.wait_for_function("Number(document.body.dataset.loaded) >= 2", timeout=120_000)
        page.wait_for_timeout(1500)  # a few animation frames
        viewer = page.locator("model-viewer#anim0")
        viewer.screenshot(path=str(tmp_path / "viewer.png"))
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert page.evaluate("document.body.dataset.errors || ''") == ""
        browser.close()
    assert errors == [], errors
    from PIL import Image

    img = np.asarray(Image.open(tmp_path / "viewer.png").convert("RGB")).astype(float)
    background = np.median(img.reshape(-1, 3), axis=0)
    drawn = (np.abs(img - background).sum(-1) > 30).mean()
    assert 0.02 < drawn < 0.9, drawn  # the model covers part of the canvas: not blank, not a flat fill
