"""Products of a trained run for people and other tools: rendered videos, meshes, motion, glTF,
and re-animation of one individual's motion on another's body."""
