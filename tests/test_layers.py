"""The architecture in imports: packages depend one way only (docs/model.md, "Package layers")."""

import ast
from pathlib import Path

import herd

ROOT = Path(herd.__file__).parent
BASE = {"errors", "atomic", "option_range"}  # modules of herd/ itself, under every package
ALLOWED = {
    "geometry": BASE,
    "data": BASE | {"geometry"},
    "synth": BASE | {"geometry", "data"},
    "model": BASE | {"geometry"},
    "render": BASE | {"geometry", "model"},
    "run": BASE | {"geometry", "data", "model", "render"},
    "export": BASE | {"geometry", "data", "model", "render", "run"},
    "evaluation": BASE | {"geometry", "data", "model", "render", "run", "export"},
    "report": BASE | {"geometry", "data", "model", "render", "run", "export", "evaluation"},
    "train": BASE | {"geometry", "data", "model", "render", "run", "export"},
    "preprocess": BASE | {"geometry", "data"},
    "cuenet": BASE | {"geometry", "data", "synth", "preprocess"},
}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else ([node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
        )
        out |= {n.split(".")[1] for n in names if n.startswith("herd.") and n.count(".") >= 1}
    return out


def test_packages_depend_one_way():
    bad = []
    for pkg, allowed in ALLOWED.items():
        for f in (ROOT / pkg).rglob("*.py"):
            extra = _imports(f) - allowed - {pkg}
            if extra:
                bad.append(f"{f.relative_to(ROOT)} imports {sorted(extra)}")
    assert bad == []
    assert set(ALLOWED) | {"cli", "bench"} == {
        p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }


def test_only_the_commands_and_benchmarks_import_training():
    """Opening a run (options, checkpoints) is :mod:`herd.run`'s: no output package needs the trainer."""
    users = {f.relative_to(ROOT).parts[0] for f in ROOT.rglob("*.py") if "train" in _imports(f)}
    assert users <= {"cli", "bench", "train"}
