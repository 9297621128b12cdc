"""The animated glTF writer on a hand-made two-bone rig: the file validates, and its skinning
moves the vertices as herd's linear blend skinning does."""

import numpy as np
import pygltflib
import trimesh
from conftest import validate_gltf

from herd.export.gltf import GltfAnimation, skinned_vertices, top4_weights, write_glb


def _rig(frames=5):
    box = trimesh.creation.box(extents=[0.2, 1.0, 0.2])
    box.apply_translation([0, 0.5, 0])
    box = box.subdivide().subdivide()
    v = np.asarray(box.vertices)
    w = np.zeros((len(v), 2))
    w[:, 1] = np.clip((v[:, 1] - 0.4) / 0.2, 0, 1)  # upper half follows joint 1
    w[:, 0] = 1 - w[:, 1]
    rest = np.array([[0, 0, 0], [0, 0.5, 0]], float)
    j2o = np.tile(np.eye(4), (frames, 2, 1, 1))
    j2o[:, 1, :3, 3] = rest[1]
    for t in range(frames):  # bend joint 1 about z by up to 90 degrees
        a = np.radians(90 * t / (frames - 1))
        j2o[t, 1, :3, :3] = [[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]]
    obj2cam = np.tile(np.eye(4), (frames, 1, 1))
    obj2cam[:, 2, 3] = 3.0
    return GltfAnimation(
        verts=v.astype(np.float32),
        faces=np.asarray(box.faces),
        colors=np.full((len(v), 3), 0.5),
        weights=w,
        joint_names=["root", "tip"],
        parents=np.array([-1, 0]),
        rest_joints=rest,
        joint2obj=j2o,
        obj2cam=obj2cam,
        intrinsics=np.tile([60.0, 60.0, 31.5, 31.5], (frames, 1)),
        image_size=(64, 64),
    )


def test_top4_weights_are_normalised_in_float32_and_distinct():
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(25) * 0.3, size=500)
    idx, w4 = top4_weights(w)
    assert w4.dtype == np.float32 and idx.dtype == np.uint16
    assert np.abs(w4.sum(1, dtype=np.float32) - 1).max() < 1e-6
    used = w4 > 0
    assert all(len(set(i[u])) == u.sum() for i, u in zip(idx, used))
    assert np.all(idx[~used] == 0)
    assert np.all(idx[:, 0] == w.argmax(1))


def test_two_bone_rig_skins_like_herd_and_validates(tmp_path):
    a = _rig()
    # the glTF's skinning = linear blend skinning with skin_j = joint2obj_j @ inv(rest_j)
    for t in (0, 4):
        skin = a.joint2obj[t].copy()
        skin[:, :3, 3] -= (skin[:, :3, :3] @ a.rest_joints[..., None])[..., 0]
        x = np.concatenate([a.verts, np.ones((len(a.verts), 1))], 1)
        lbs = np.einsum("vj,jab,vb->va", a.weights, skin, x)[:, :3]
        assert np.allclose(skinned_vertices(a, t), lbs, atol=1e-5)
    tip = a.verts[:, 1].argmax()
    assert skinned_vertices(a, 4)[tip, 0] < -0.4  # the tip bent over to -x
    write_glb(tmp_path / "rig.glb", a)
    (report,) = validate_gltf(tmp_path / "rig.glb")
    assert report["issues"]["numErrors"] == 0 and report["issues"]["numWarnings"] == 0, report["issues"]["messages"][:5]
    assert report["info"]["animationCount"] == 1 and report["info"]["hasSkins"]
    g = pygltflib.GLTF2().load(str(tmp_path / "rig.glb"))
    assert [n.name for n in g.nodes] == ["body", "root", "tip", "camera"] and g.skins[0].joints == [1, 2]
    assert len(g.animations[0].channels) == 2 + 1 + 2  # joint rotations, root translation, camera pose
