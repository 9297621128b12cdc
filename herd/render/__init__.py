"""Differentiable volume rendering of a :class:`herd.model.model.HerdModel`.

Owns: rays from pixels, near/far bounds from the proxy shape, samples along rays, empty-space
skipping with a canonical occupancy grid (evaluated in full only near the surface, ``sdf_grid``,
which the export's meshes use too), and compositing of rgb, opacity, depth, canonical xyz
and flow (``renderer``); for viewing, the surface along each ray, depth at the SDF's zero crossing
and normals from its gradient (``surface``), and whole frames as pictures (``frames``). Fields and
warps are the model's; losses are the trainer's.
"""
