"""Importing rigged glTF assets (herd.synth.asset_rig, joint_map, retarget) on files made in code
(tests/gltf_rigs.py) and on the shared assets: every drawn vertex is kept, static rigs move,
bad files fail with one line."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from gltf_rigs import KEYS, bone_boxes, humanoid, primitive_vertex_count

from herd.errors import HerdInputError
from herd.synth.asset import AssetMotion, AssetWarning, RetargetedMotion, load_asset, make_asset_body, make_asset_motion

ASSETS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "assets"
N_BOX_VERTS = 8 * len(KEYS)


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssetWarning)
        return load_asset(path, **kw)


def _all_present(asset, expected: np.ndarray) -> None:
    """Every expected vertex (object space of the asset) is one of the imported rest vertices."""
    d = np.linalg.norm(asset.rest_verts[None, :, :] - expected[:, None, :], axis=-1).min(axis=1)
    assert d.max() < 1e-6


def _expected_obj(asset) -> np.ndarray:
    world = np.concatenate([v for _, v, _ in bone_boxes()])
    return world @ asset.world2obj[:3, :3].T + asset.world2obj[:3, 3]


@pytest.mark.parametrize("meshes", ["two", "two_skins", "rigid"])
def test_every_mesh_of_every_skin_is_imported(tmp_path, meshes):
    a = _load(humanoid(tmp_path / f"{meshes}.glb", meshes=meshes))
    assert len(a.source_vertices) == N_BOX_VERTS == primitive_vertex_count(tmp_path / f"{meshes}.glb")
    assert len(a.rest_verts) == N_BOX_VERTS  # boxes share no vertex: nothing welded away
    _all_present(a, _expected_obj(a))
    assert len(a.parts) == 2
    assert np.ptp(a.rest_verts[:, 1]) == pytest.approx(0.8)


def test_mesh_under_a_joint_follows_it(tmp_path):
    a = _load(humanoid(tmp_path / "rigid.glb", meshes="rigid", clip="static"))
    head = a.skeleton.index("mixamorig:Head")
    helmet = a.vertex_part == a.parts.index("helmet[0]")
    assert helmet.sum() == 8 and np.all(a.skin_joints[helmet, 0] == head) and np.all(a.skin_weights[helmet, 0] == 1)
    body = make_asset_body(a, None)
    motion = make_asset_motion(a, np.random.default_rng(0), 12, 10.0, actions=["wave"])
    rel = []
    for t in range(12):
        verts, joints = body.pose(motion, t)
        rel.append(verts[helmet] - joints[head])
    rel = np.stack(rel)
    shape = np.linalg.norm(rel[:, :, None] - rel[:, None], axis=-1)
    np.testing.assert_allclose(shape, np.broadcast_to(shape[0], shape.shape), atol=1e-9)  # rigid
    np.testing.assert_allclose(
        np.linalg.norm(rel, axis=-1), np.linalg.norm(rel[0], axis=-1)[None].repeat(12, 0), atol=1e-9
    )  # on the head joint
    assert np.abs(rel - rel[0]).max() > 1e-3  # and turning with it


def test_unweighted_vertex_binds_to_its_nearest_weighted_neighbour(tmp_path):
    path = humanoid(tmp_path / "holes.glb", unweighted=2)
    with pytest.warns(AssetWarning, match=r"holes\.glb: 2 of 136 vertices of mesh body0\[0\] carry no skin weight"):
        a = load_asset(path)
    assert len(a.source_vertices) == N_BOX_VERTS
    _all_present(a, _expected_obj(a))
    # each takes the joint of the nearest vertex that has weights
    pts = _expected_obj(a)
    box_joint = np.repeat([j for j, _, _ in bone_boxes()], 8)
    for v in (0, 1):
        near = 2 + np.linalg.norm(pts[2:] - pts[v], axis=1).argmin()
        got = np.linalg.norm(a.rest_verts - pts[v], axis=1).argmin()
        assert a.skin_joints[got, 0] == box_joint[near] and a.skin_weights[got].sum() == pytest.approx(1.0)


def _angle_range(joints: np.ndarray, a: int, b: int, c: int) -> float:
    """Range over frames (deg) of the angle at joint ``b`` between bones b->a and b->c; joints ``(F, J, 3)``."""
    u, v = joints[:, a] - joints[:, b], joints[:, c] - joints[:, b]
    cos = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
    ang = np.rad2deg(np.arccos(np.clip(cos, -1, 1)))
    return float(np.ptp(ang))


@pytest.mark.parametrize("names", ["mixamo", "rigify", "ue", "none"])
def test_static_rig_moves_with_builtin_actions(tmp_path, names):
    a = _load(humanoid(tmp_path / f"{names}.glb", names=names, clip="static"))
    assert a.moving_clips == () and "TPose" in a.clips and a.kind == "human"
    assert a.joint_map.how == ("geometry" if names == "none" else "names")
    # the mapping finds the knees and elbows whatever the names
    knee = a.joint_map.asset_joint[a.joint_map.target.index("l_knee")]
    elbow = a.joint_map.asset_joint[a.joint_map.target.index("r_elbow")]
    assert KEYS[knee] == "l_shin" and KEYS[elbow] == "r_fore"
    body = make_asset_body(a, np.random.default_rng(3))
    rng = np.random.default_rng(4)
    walk = make_asset_motion(a, rng, 30, 10.0)  # no moving clip: built-in actions
    assert isinstance(walk, RetargetedMotion)
    walk = make_asset_motion(a, rng, 30, 10.0, actions=["walk"])
    wave = make_asset_motion(a, rng, 30, 10.0, actions=["wave"])
    jw = np.stack([body.pose(walk, t)[1] for t in range(30)])
    jv = np.stack([body.pose(wave, t)[1] for t in range(30)])
    k = {n: KEYS.index(n) for n in ("l_thigh", "l_shin", "l_foot", "r_arm", "r_fore", "r_hand")}
    assert _angle_range(jw, k["l_thigh"], k["l_shin"], k["l_foot"]) > 20
    assert _angle_range(jv, k["r_arm"], k["r_fore"], k["r_hand"]) > 20
    # bone lengths are the rig's own in every frame
    for j in (k["l_shin"], k["r_fore"]):
        p = a.skeleton.parents[j]
        np.testing.assert_allclose(
            np.linalg.norm(jw[:, j] - jw[:, p], axis=-1),
            np.linalg.norm(body.rest_joints[j] - body.rest_joints[p]),
            rtol=1e-9,
        )
    verts, _ = body.pose(walk, 7)
    assert verts[:, 1].min() == pytest.approx(0.0, abs=1e-9)  # on the ground


def test_moving_clip_is_played(tmp_path):
    a = _load(humanoid(tmp_path / "bend.glb", clip="bend"))
    assert a.moving_clips == ("Bend",)
    m = make_asset_motion(a, np.random.default_rng(0), 8, 10.0)
    assert isinstance(m, AssetMotion) and m.clip == "Bend"


@pytest.mark.parametrize(
    "what,match",
    [
        ("unskinned", r"unskinned\.glb: no skinned mesh .*; skin the mesh"),
        ("morph", r"morph\.glb: it has morph targets only and no skeleton \(skin\); "),
    ],
)
def test_unusable_rigs_fail_with_one_line(tmp_path, what, match):
    path = humanoid(tmp_path / f"{what}.glb", meshes="unskinned", morph_only=what == "morph")
    with pytest.raises(HerdInputError, match=match) as e:
        load_asset(path)
    assert "\n" not in str(e.value)


def test_joints_without_a_common_root_fail(tmp_path):
    import pygltflib

    path = humanoid(tmp_path / "split.glb")
    g = pygltflib.GLTF2().load_binary(str(path))
    # cut the legs off the hips and hang them from the scene
    hips = 1
    legs = [c for c in g.nodes[hips].children if g.nodes[c].name.endswith("UpLeg")]
    g.nodes[hips].children = [c for c in g.nodes[hips].children if c not in legs]
    g.scenes[0].nodes += legs
    g.nodes[0].children = [1]
    g.save_binary(str(path))
    with pytest.raises(
        HerdInputError,
        match=r"split\.glb: no recognisable root: the joints hang under 3 "
        r"unconnected roots .*; parent all joints under one root bone",
    ):
        load_asset(path)


def test_cli_bad_asset_exits_2_with_one_line(tmp_path, capsys):
    from herd.cli.main import main

    path = humanoid(tmp_path / "morph.glb", meshes="unskinned", morph_only=True)
    out = tmp_path / "ds"
    assert main(["synth", "--asset", str(path), "--out", str(out), "--videos", "1", "--frames", "2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "morph.glb" in err[0] and "armature" in err[0]
    assert not out.exists()


def test_two_rigs_make_one_category(tmp_path):
    from herd.synth.generate import SynthConfig, synthesize

    a = humanoid(tmp_path / "a.glb", names="mixamo", clip="bend")
    b = humanoid(tmp_path / "b.glb", names="rigify", clip="static")
    out = synthesize(
        SynthConfig(
            out=tmp_path / "ds",
            asset=[a, b],
            category=None,
            videos=4,
            frames=4,
            res=32,
            heldout_views=1,
            transfer_pairs=2,
            progress=False,
        )
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["skeleton"] == "human" and manifest["category"] == "human"
    bodies = [json.loads((out / "gt" / f"v{i:03d}" / "body.json").read_text()) for i in range(4)]
    assert [x["params"]["asset"] for x in bodies] == ["a", "b", "a", "b"]  # round robin
    assert [x["motion"].split(" ")[0] for x in bodies][::2] == ["Bend", "Bend"]  # a's own clip moves
    assert all(len(x["rest_joints"]) == 19 for x in bodies)
    joints = np.load(out / "gt" / "v001" / "joints_cam.npy")
    assert joints.shape == (4, 19, 3)
    video = json.loads((out / "v001" / "video.json").read_text())
    assert video["keypoint_names"][:3] == ["pelvis", "spine", "chest"]
    # a's clip on b's body (a motion transfer across rigs) was rendered
    assert (out / "gt" / "transfer" / "v000_on_v001" / "masks").is_dir()


@pytest.mark.parametrize("name", ["Soldier", "RobotExpressive", "BrainStem", "Fox"])
def test_shared_assets_import_every_vertex(name):
    path = ASSETS / f"{name}.glb"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    a = load_asset(path)
    assert len(a.source_vertices) == primitive_vertex_count(path)
    assert len(a.faces) > 0 and np.all(np.isfinite(a.rest_verts))
    ext = np.ptp(a.rest_verts, axis=0)
    assert ext[1] == pytest.approx(0.8)
    assert a.kind == ("quad" if name == "Fox" else "human")
    if name != "Fox":
        assert ext[1] > 1.5 * ext[2]  # standing up, facing +z
    assert a.moving_clips  # each comes with a clip that moves
    if name == "Soldier":
        assert a.parts == ("vanguard_Mesh[0]", "vanguard_visor[0]") and "TPose" not in a.moving_clips
        assert a.joint_map.how == "names"


def test_draco_without_a_decoder_names_the_extension(monkeypatch):
    path = ASSETS / "BrainStem.glb"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    monkeypatch.setitem(sys.modules, "DracoPy", None)  # import fails as if not installed
    with pytest.raises(
        HerdInputError,
        match=r"BrainStem\.glb: its meshes are Draco-compressed "
        r"\(KHR_draco_mesh_compression\) .*; pip install DracoPy",
    ):
        load_asset(path)


def _robot_and_soldier():
    paths = [ASSETS / "Soldier.glb", ASSETS / "RobotExpressive.glb"]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"{ASSETS} has no Soldier.glb and RobotExpressive.glb")
    return paths


def test_default_clips_keep_the_body_standing():
    """A clip in which the body falls over (RobotExpressive's Death: it lies down in pieces) is
    never drawn by default, only when asked for by name."""
    robot = load_asset(_robot_and_soldier()[1])
    assert "Death" in robot.moving_clips and "Death" not in robot.default_clips
    assert {"Walking", "Running", "Idle"} <= set(robot.default_clips)
    picked = {make_asset_motion(robot, np.random.default_rng(s), 2, 10.0).clip for s in range(40)}
    assert "Death" not in picked
    assert make_asset_motion(robot, np.random.default_rng(0), 2, 10.0, clip="Death").clip == "Death"


def test_shared_category_bodies_are_upright_whole_and_framed(tmp_path):
    """Soldier + RobotExpressive as one human category: in every video the true pelvis-to-head
    direction is near +y in object space, the mask is one piece (up to a hand
    or foot cut off by a thin wrist or ankle at 48 px), and the camera is outside the
    body (the mask is well under the whole image)."""
    from PIL import Image
    from scipy import ndimage

    from herd.synth.generate import SynthConfig, synthesize

    out = synthesize(
        SynthConfig(
            out=tmp_path / "ds",
            asset=_robot_and_soldier(),
            category="human",
            videos=2,
            frames=6,
            res=48,
            heldout_views=0,
            transfer_pairs=0,
            flow=False,
            progress=False,
        )
    )
    for v in ("v000", "v001"):
        gt = out / "gt" / v
        names = json.loads((out / v / "video.json").read_text())["keypoint_names"]
        joints = np.load(gt / "joints_cam.npy")  # (F, 19, 3) camera space
        cam2obj = np.linalg.inv(np.load(gt / "obj2cam.npy"))  # (F, 4, 4)
        obj = np.einsum("fab,fjb->fja", cam2obj[:, :3, :3], joints) + cam2obj[:, None, :3, 3]
        up = obj[:, names.index("head")] - obj[:, names.index("pelvis")]
        cos = up[:, 1] / np.linalg.norm(up, axis=-1)
        assert cos.min() > 0.75, (v, cos.round(2))
        for m in sorted((out / v / "masks").glob("*.png")):
            mask = np.asarray(Image.open(m).convert("L")) > 127
            area = mask.mean()
            assert 0.01 < area < 0.6, (v, m.name, area)
            lab, _ = ndimage.label(mask)
            biggest = np.bincount(lab.ravel())[1:].max()
            assert biggest >= 0.8 * mask.sum(), (v, m.name, biggest / mask.sum())
