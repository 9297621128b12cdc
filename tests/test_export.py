"""herd render, export and reanimate on a briefly trained two-individual quadruped category."""

import json
import shutil

import numpy as np
import pytest
import torch
from conftest import validate_gltf
from scipy.spatial.transform import Rotation

from herd.atomic import atomic_dir
from herd.cli.main import main as herd_main
from herd.evaluation.overlay import projected_mesh_ious
from herd.evaluation.skeleton import learned_bone_lengths
from herd.evaluation.transfer import transfer_scores, transfer_states
from herd.evaluation.truth import link_truth
from herd.export.exporter import export_individual, gltf_animation
from herd.export.gltf import skinned_vertices
from herd.export.media import read_video
from herd.export.mesh import extract_canonical_mesh, posed_vertices
from herd.export.reanimate import reanimate
from herd.export.sequence import render_sequence, sequence_states
from herd.render.frames import render_frame
from herd.render.viewpoints import Viewpoint


def _flags(run):
    return [f"--flagfile={run.run_dir / 'opts.log'}", "--quiet"]


def test_reference_render_matches_the_masks_and_decodes(trained_quad, tmp_path):
    run = trained_quad
    frames = run.cache.video_frames(0)
    st = sequence_states(run, frames, Viewpoint("ref"), 48)
    out = render_sequence(run, st, 48, tmp_path / "ref", png=True, reference_frames=frames, progress=False)
    rgb = read_video(tmp_path / "ref" / "rgb.mp4")
    assert rgb.shape == (len(frames), 48, 48, 3)
    assert read_video(tmp_path / "ref" / "compare.mp4").shape[2] == 3 * 48
    assert len(list((tmp_path / "ref" / "png" / "normal").glob("*.png"))) == len(frames)
    mask = read_video(tmp_path / "ref" / "mask.mp4")[..., 0] > 127
    ious = [(m & (run.cache.mask[f] > 0)).sum() / (m | (run.cache.mask[f] > 0)).sum() for m, f in zip(mask, frames)]
    assert np.mean(ious) > 0.8, ious
    assert json.loads((tmp_path / "ref" / "cameras.json").read_text())["resolution"] == [48, 48]
    assert out["frames"] == len(frames)


def test_frozen_turntable_changes_smoothly(trained_quad, tmp_path):
    run = trained_quad
    frames = np.full(24, run.cache.video_frames(1)[5])
    st = sequence_states(run, frames, Viewpoint("rot", 10, 360), 48, freeze=0)
    assert len(set(st.frames.tolist())) == 1
    area = np.array(render_sequence(run, st, 48, tmp_path / "rot", progress=False)["mask_area"])
    assert area.min() > 0.02  # the object stays in view all the way round
    jumps = np.abs(np.diff(np.concatenate([area, area[:1]])))
    assert jumps.max() < 0.25 * area.mean(), (area, jumps)
    # and it does turn: side and front views differ in area
    assert area.max() - area.min() > 0.05 * area.mean()


def test_export_overlays_the_masks_and_the_glb_validates(trained_quad):
    run = trained_quad
    out = export_individual(run, 1, grid_size=64, progress=False)
    n = len(run.cache.video_frames(1))
    assert len(list((out / "mesh").glob("*.ply"))) == n and len(list((out / "bones").glob("*.ply"))) == n
    motion = json.loads((out / "motion.json").read_text())
    assert len(motion["frames"]) == n and len(motion["skeleton"]["joint_names"]) == 25
    pose = run.model.root_pose(torch.as_tensor(run.cache.video_frames(1))).detach().numpy()
    assert np.allclose(np.array(motion["frames"][3]["obj2cam"]), pose[3], atol=1e-5)
    assert np.load(out / "skinning.npy").shape[1] == 25
    # quaternions are (x, y, z, w) (docs/conventions.md): each is the rotation that takes the
    # parent's posed frame to the joint's (rest frames are axis-aligned), as its axis-angle says
    parents = motion["skeleton"]["parents"]
    for rec in motion["frames"][:4]:
        R = np.array(rec["joint2obj"])[:, :3, :3]
        q = np.array(rec["quaternion"])
        local = Rotation.from_quat(q).as_matrix()
        assert np.allclose(local, Rotation.from_rotvec(np.array(rec["rotation"])).as_matrix(), atol=1e-4)
        for j, p in enumerate(parents):
            if p >= 0:
                assert np.allclose(R[p] @ local[j], R[j], atol=1e-4), (j, p)
        # and not scalar-first: read as (w, x, y, z) the same numbers are another rotation
        assert not np.allclose(Rotation.from_quat(np.roll(q, -1, axis=1)).as_matrix(), local, atol=1e-3)
    (report,) = validate_gltf(out / "animated.glb")
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"][:5]
    mesh = extract_canonical_mesh(run.model, 1, 64)
    ious = projected_mesh_ious(run, mesh, 1)
    assert ious.mean() > 0.75, ious


def test_glb_skinning_follows_the_model(trained_quad):
    """A viewer's skinning of the exported glTF lands where herd's skeleton poses the mesh: the
    only difference is keeping the top 4 weights per vertex (soft deformation, which glTF cannot
    carry, is switched off for the comparison)."""
    run, m = trained_quad, trained_quad.model
    mesh = extract_canonical_mesh(m, 0, 48)
    frames = torch.as_tensor(run.cache.video_frames(0))
    st = m.frame_state(frames)
    a = gltf_animation(run, mesh, st, 10.0, "v000")
    soft, m.soft = m.soft, None
    try:
        for i in (0, len(frames) - 1):
            herd = posed_vertices(m, mesh, st.select(slice(i, i + 1)), to_camera=False)[0]
            err = np.linalg.norm(skinned_vertices(a, i) - herd, axis=1)
            assert np.median(err) < 0.01 * m.extent and np.percentile(err, 99) < 0.05 * m.extent, err
    finally:
        m.soft = soft


def test_reanimation_uses_the_body_bone_lengths_and_matches_the_truth(trained_quad):
    run = trained_quad
    gt = link_truth(run.ds)
    pair = gt.transfer_pairs()[0]
    a, b = pair["motion"], pair["body"]
    out = reanimate(run, a, b, 48, grid_size=48, progress=False)
    motion = json.loads((run.run_dir / f"reanimate_{a:04d}_on_{b:04d}" / "motion.json").read_text())
    lengths = learned_bone_lengths(run.model)
    assert np.allclose(motion["skeleton"]["bone_lengths"], lengths[b], atol=1e-5)
    assert not np.allclose(lengths[a], lengths[b], atol=1e-4)  # the individuals do differ
    assert out["frames"] == len(run.cache.video_frames(a))
    scores = transfer_scores(run, gt, pair, stride=2)
    assert scores["mask_iou"].mean() > 0.6, scores


def test_transfer_resizes_the_body_by_the_ratio_of_the_monocular_scales(trained_quad, monkeypatch):
    """B twice as far in its own video as A (s_B = 2 s_A) looks half as large next to A: resized
    about its object origin, B's silhouette in A's camera shrinks to about a quarter, and the
    origin stays on its line of sight."""
    import herd.evaluation.transfer as transfer

    run = trained_quad
    gt = link_truth(run.ds)
    pair = gt.transfer_pairs()[0]
    monkeypatch.setattr(
        transfer, "model_to_true_scale", lambda model, cache, truth, proxy, rcfg, v: 2.0 if v == pair["body"] else 1.0
    )
    plain = transfer_states(run, gt, pair, 64, stride=4, match_scale=False)
    small = transfer_states(run, gt, pair, 64, stride=4)
    t0, t1 = plain.obj2cam[:, :3, 3], small.obj2cam[:, :3, 3]
    assert torch.allclose(t1, 2 * t0)
    area = [
        render_frame(run.model, st.select(slice(0, 1)), 64, run.proxy, run.rcfg)["mask"].sum() for st in (plain, small)
    ]
    assert 0.15 < area[1] / area[0] < 0.35, area


def test_cli_commands_and_their_errors(trained_quad, capsys):
    run = trained_quad
    assert herd_main(["render", *_flags(run), "--viewpoint", "bev-60", "--render_res", "32", "--inst_id", "1"]) == 0
    assert (run.run_dir / "renderings_0001" / "bev-60" / "rgb.mp4").is_file()
    assert herd_main(["render", *_flags(run), "--viewpoint", "side"]) == 2
    assert "--viewpoint side: unknown" in capsys.readouterr().err
    assert herd_main(["export", *_flags(run), "--inst_id", "7"]) == 2
    assert "--inst_id=7: out of range" in capsys.readouterr().err
    assert herd_main(["reanimate", *_flags(run), "--motion_id", "-1"]) == 2
    assert herd_main(["render", *_flags(run), "--load_suffix", "0099"]) == 2
    assert "no such checkpoint" in capsys.readouterr().err
    assert herd_main(["render", *_flags(run), "--freeze_id", "500"]) == 2


def test_output_folders_appear_only_when_complete(tmp_path):
    out = tmp_path / "renderings"
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_dir(out) as tmp:
            (tmp / "a.txt").write_text("second, interrupted")
            raise RuntimeError("crash")
    assert (out / "a.txt").read_text() == "first"
    assert not (tmp_path / "renderings.partial").exists()
    shutil.rmtree(out)
