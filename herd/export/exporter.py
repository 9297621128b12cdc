"""``herd export``: everything about one individual of a trained run, in one folder.

``logdir/<run>/export_<inst>/``::

    canonical.ply, canonical.obj     the individual's mesh in canonical space, vertex colours and normals
    skinning.npy                     (V, J) float32 skinning weights of the canonical vertices
    mesh/NNNNN.ply                   per frame, the posed mesh in camera space (OpenCV), normals too
    bones/NNNNN.ply                  per frame, the skeleton as spheres and cylinders, camera space
    motion.json                      per frame: obj2cam, intrinsics, joint transforms and rotations
    animated.glb                     skinned mesh + skeleton + this video's motion + camera
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from herd.atomic import atomic_dir
from herd.export.bones import bones_mesh
from herd.export.gltf import GltfAnimation, write_glb
from herd.export.mesh import CanonicalMesh, extract_canonical_mesh, posed_normals, posed_vertices
from herd.export.motion import motion_record
from herd.model.model import FrameState
from herd.run.loaded_run import LoadedRun


def gltf_animation(run: LoadedRun, mesh: CanonicalMesh, st: FrameState, fps: float, name: str) -> GltfAnimation:
    """The glTF content of ``mesh`` moved by the frames of ``st`` (which carry the body's bone lengths)."""
    m = run.model
    # export_individual writes one for a model with a skeleton, whose mesh has skinning weights
    assert m.skeleton is not None and m.articulation is not None and mesh.weights is not None
    return GltfAnimation(
        verts=mesh.verts,
        faces=mesh.faces,
        colors=mesh.colors,
        weights=mesh.weights,
        normals=mesh.normals,
        joint_names=list(m.skeleton.joint_names),
        parents=np.asarray(m.skeleton.parents),
        rest_joints=m.articulation.rest_joints.cpu().numpy(),
        joint2obj=st.joint2obj().cpu().numpy(),
        obj2cam=st.obj2cam.detach().cpu().numpy(),
        intrinsics=st.intrinsics.detach().cpu().numpy(),
        image_size=(run.cache.res, run.cache.res),
        fps=fps,
        name=name,
    )


@torch.no_grad()
def export_individual(
    run: LoadedRun, video: int, grid_size: int = 128, fps: float = 10.0, progress: bool = True, max_faces: int = 0
) -> Path:
    """Write ``export_<video>/`` (atomically) and return its path. ``grid_size``: marching-cubes
    cells per side; ``max_faces``: decimate the mesh to this many faces (0: keep all)."""
    m = run.model
    out = run.run_dir / f"export_{video:04d}"
    frames = run.cache.video_frames(video)
    mesh = extract_canonical_mesh(m, video, grid_size, max_faces)
    st = m.frame_state(torch.as_tensor(frames, device=m.center.device))
    with atomic_dir(out) as tmp:
        tm = mesh.trimesh()
        tm.export(tmp / "canonical.ply")
        tm.export(tmp / "canonical.obj")
        if mesh.weights is not None:
            np.save(tmp / "skinning.npy", mesh.weights.astype(np.float32))
        (tmp / "mesh").mkdir()
        for i in tqdm(
            range(len(frames)), desc=f"export {out.name}", unit="frame", disable=not progress, dynamic_ncols=True
        ):
            s = st.select(slice(i, i + 1))
            v = posed_vertices(m, mesh, s, to_camera=False)[0]
            T = s.obj2cam[0].cpu().numpy()
            mesh.trimesh(v @ T[:3, :3].T + T[:3, 3], posed_normals(m, v, s)).export(tmp / "mesh" / f"{i:05d}.ply")
            if s.joints is not None:
                assert m.skeleton is not None  # joints come with it
                joints_cam = s.joints[0].cpu().numpy() @ T[:3, :3].T + T[:3, 3]
                (tmp / "bones").mkdir(exist_ok=True)
                bones_mesh(joints_cam, np.asarray(m.skeleton.parents), 0.02 * m.extent).export(
                    tmp / "bones" / f"{i:05d}.ply"
                )
        frame_index = run.cache.frame_index[frames]
        (tmp / "motion.json").write_text(json.dumps(motion_record(m, st, frame_index, run.cache.res, video)))
        if m.skeleton is not None:
            write_glb(tmp / "animated.glb", gltf_animation(run, mesh, st, fps, run.video_names[video]))
    return out
