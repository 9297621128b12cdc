"""``import herd`` and the command line's entry are cheap: no torch, OpenCV or TensorBoard."""

import subprocess
import sys


def test_import_herd_loads_no_heavy_dependency():
    code = (
        "import sys, herd, herd.cli.main, herd.errors; "
        "heavy = [m for m in ('torch', 'cv2', 'tensorboard', 'mediapipe', 'onnxruntime', 'trimesh') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "herd", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "synth" in out.stdout and "train" in out.stdout
    out = subprocess.run([sys.executable, "-m", "herd", "fly"], capture_output=True, text=True)
    assert out.returncode == 2 and "unknown command" in out.stderr
