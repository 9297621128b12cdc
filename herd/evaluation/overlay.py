"""Do the exported meshes sit where the video saw the object? Project each frame's posed mesh
through the model's camera and compare its silhouette with the input mask."""

from __future__ import annotations

import numpy as np
import torch

from herd.evaluation.masks import iou
from herd.export.mesh import CanonicalMesh, posed_vertices
from herd.geometry.raster import rasterize
from herd.run.loaded_run import LoadedRun


@torch.no_grad()
def projected_mesh_ious(run: LoadedRun, mesh: CanonicalMesh, video: int, stride: int = 1) -> np.ndarray:
    """``(F / stride,)`` IoU of the rasterised posed mesh (camera space, training resolution)
    against the training mask, for the frames of ``video``."""
    m = run.model
    frames = run.cache.video_frames(video)[::stride]
    st = m.frame_state(torch.as_tensor(frames, device=m.center.device))
    verts = posed_vertices(m, mesh, st)
    K = st.intrinsics.cpu().numpy()
    res = run.cache.res
    return np.array(
        [iou(rasterize(verts[i], mesh.faces, K[i], res, res).mask, run.cache.mask[f] > 0) for i, f in enumerate(frames)]
    )
