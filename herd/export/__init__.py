"""Products of a trained run for people and other tools: rendered videos, meshes (marching cubes
on a grid evaluated in full only near the surface, :mod:`herd.render.sdf_grid`; decimation and field normals,
``mesh``), motion, glTF, and re-animation of one individual's motion on another's body."""
