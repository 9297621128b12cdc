"""Geometry shared by every package: rotations, cameras, skeletons, mesh rasterisation.

Conventions used everywhere in herd (see docs/conventions.md):

- Object (canonical) space: +y up, +z forward (the animal or person faces +z), +x to its left,
  metres. This is glTF's convention, so exported assets need no axis change.
- Camera space: OpenCV, +x right, +y down, +z forward (into the image).
- A transform is named after the frames it maps between: ``obj2cam`` maps object-space points
  to camera space, ``(4, 4)`` homogeneous, applied as ``x_cam = obj2cam @ x_obj``.
- Quaternions are ``(x, y, z, w)``, scalar last (SciPy's and glTF's order), everywhere: in
  memory, in ``motion.json`` and in glTF files.

Shape letters (docs/conventions.md): ``F`` frames, ``K`` a batch of frames, ``J`` joints, ``B`` bones,
``V`` vertices, ``T`` triangles, ``P`` keypoints, ``C`` viewpoint bins, ``D`` feature widths,
``N`` points, ``R`` rays, ``S`` samples per ray, ``H, W`` image size.
"""
