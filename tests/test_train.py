"""Trainer: gradients, resume, rollback, a short fit, flags and flagfiles."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import _synth

from herd.errors import HerdInputError
from herd.model.model import ModelConfig
from herd.run.checkpoint import CHECKPOINT_FORMAT, check_checkpoint_format, read_checkpoint
from herd.run.flags import parse_flags, to_flagfile
from herd.run.options import TrainConfig
from herd.train.trainer import Trainer


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """One quadruped, 8 frames at 32 px."""
    return _synth(
        tmp_path_factory.mktemp("train") / "clip",
        category="quad",
        videos=1,
        frames=8,
        res=32,
        seed=2,
        heldout_views=1,
        transfer_pairs=0,
    )


def _trainer(clip, tmp_path, fg_motion="comp_skel-quad_dense", **kw) -> Trainer:
    return Trainer(_opts(clip, tmp_path, **kw), ModelConfig(fg_motion=fg_motion))


def _opts(clip, tmp_path, **kw) -> TrainConfig:
    base = dict(
        seqname=str(clip),
        logname="t",
        logroot=str(tmp_path / "logdir"),
        num_rounds=2,
        iters_per_round=5,
        num_rays=256,
        frames_per_step=4,
        num_samples=16,
        quiet=True,
        warmup_iters=2,
        seed=1,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_every_parameter_gets_a_gradient(clip, tmp_path):
    t = Trainer(_opts(clip, tmp_path))
    from herd.train.init_shape import fit_initial_shape

    fit_initial_shape(t.model)
    t.refresh_proxy()
    with torch.no_grad():  # motion networks start at zero; give them something to pass gradients through
        for name, p in t.model.named_parameters():
            if any(k in name for k in ("net", "correction", "fwd", "bwd", "length_head")):
                p.add_(torch.randn_like(p) * (0.002 if name.startswith("root.") else 0.05))
        t.model.time.codes.normal_(0, 0.3)
    t.model.set_progress(0.6)  # soft deformation fully on
    total, _ = t.compute_losses(t.sampler.sample())
    total.backward()
    groups = {g["name"]: g["params"] for g in t.model.param_groups(1e-3)}
    assert set(groups) == {"field", "codes", "motion", "root", "bones"}
    names = {id(p): n for n, p in t.model.named_parameters()}
    dead = [names[id(p)] for ps in groups.values() for p in ps if p.grad is None or not p.grad.abs().sum() > 0]
    # the per-video appearance/morphology codes of other videos and learned focal stay untouched
    assert dead == [], dead


def test_resume_continues_the_exact_loss_curve(clip, tmp_path):
    straight = []
    Trainer(_opts(clip, tmp_path, logname="a")).run(on_step=lambda s, logs: straight.append(logs["total"]))

    def interrupt(step, logs):  # Ctrl-C in the middle of training saves ckpt_latest.pth
        if step == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Trainer(_opts(clip, tmp_path, logname="b")).run(on_step=interrupt)
    resumed = []
    Trainer(_opts(clip, tmp_path, logname="b", load_suffix="latest")).run(
        on_step=lambda s, logs: resumed.append(logs["total"])
    )
    assert len(straight) == 10 and len(resumed) == 5
    np.testing.assert_allclose(resumed, straight[5:], rtol=1e-6)


def test_nan_in_the_loss_rolls_back_instead_of_crashing(clip, tmp_path):
    t = Trainer(_opts(clip, tmp_path, logname="nan"))
    real = t.compute_losses
    calls = {"n": 0}

    def poisoned(batch):
        calls["n"] += 1
        total, logs = real(batch)
        return (total * float("nan"), logs) if calls["n"] == 4 else (total, logs)

    t.compute_losses = poisoned
    out = t.run()
    assert out["steps"] == 10 and out["rollbacks"] == 1
    assert all(torch.isfinite(p).all() for p in t.model.parameters())


def test_short_training_raises_mask_iou(clip, tmp_path):
    t = Trainer(
        _opts(clip, tmp_path, logname="fit", num_rounds=4, iters_per_round=50, num_rays=1024, frames_per_step=8)
    )
    from herd.train.init_shape import fit_initial_shape

    fit_initial_shape(t.model)
    t.refresh_proxy()
    before = t.quick_mask_iou([0, 4, 7])
    t.run()
    after = t.history[-1]["mask_iou"]
    assert after > 0.75 and after > before + 0.1, (before, after)
    run = t.run_dir
    assert (run / "ckpt_latest.pth").is_file() and (run / "ckpt_0004.pth").is_file()
    assert (run / "003-bones.glb").is_file() and (run / "003-proxy.glb").is_file()
    assert any(p.name.startswith("events.out.tfevents") for p in run.iterdir())


def _keypoint_rms_px(t: Trainer) -> float:
    """RMS reprojection error (pixels) of the posed joints against the cache's keypoints."""
    from herd.train.losses import projected_joints

    with torch.no_grad():
        uv = projected_joints(t.model.frame_state(torch.arange(t.cache.num_frames))).numpy()
    kp = np.asarray(t.cache.keypoints)
    err = ((uv - kp[..., :2]) ** 2).sum(-1)
    return float(np.sqrt((err * kp[..., 2]).sum() / kp[..., 2].sum()))


def test_exact_keypoints_are_trusted_more_and_pull_the_skeleton_onto_them(clip, tmp_path):
    import json
    import shutil

    from herd.train.losses import keypoint_precision

    # the same clip with keypoints of unknown precision (as a landmark detector's would be)
    unknown = tmp_path / "unknown"
    shutil.copytree(clip, unknown)
    vj = unknown / "v000" / "video.json"
    info = json.loads(vj.read_text())
    assert info.pop("keypoint_sigma_px") == 0.0  # herd synth states its keypoints are exact
    vj.write_text(json.dumps(info))
    p = keypoint_precision(torch.tensor([0.0, float("nan"), 1.5, 5.0]))
    assert p[0] > 1000 and p[1] == 1 and p[2] == pytest.approx(1.0) and p[3] < 0.1
    errs = {}
    for name, data in (("exact", clip), ("unknown", unknown)):
        t = Trainer(
            _opts(data, tmp_path, logname=name, num_rounds=1, iters_per_round=60, num_rays=512, frames_per_step=8)
        )
        assert torch.allclose(t.objective.kp_precision, p[0] if name == "exact" else p[1])
        t.run()
        errs[name] = _keypoint_rms_px(t)
    assert errs["exact"] < 0.7 * errs["unknown"], errs


def test_flagfile_round_trip_and_later_flags_win(tmp_path):
    o = TrainConfig(seqname="x", num_rounds=7)
    f = tmp_path / "opts.log"
    f.write_text(to_flagfile(o, ModelConfig(hidden=32, single_inst=False)))
    o2, s2 = parse_flags([f"--flagfile={f}", "--num_rounds", "9", "--bf16"], TrainConfig, ModelConfig)
    assert o2.num_rounds == 9 and s2.single_inst is False and o2.bf16 is True and s2.hidden == 32
    with pytest.raises(HerdInputError, match="--num_roundz"):
        parse_flags(["--seqname=x", "--num_roundz=3"], TrainConfig)
    with pytest.raises(HerdInputError, match="expected int"):
        parse_flags(["--seqname=x", "--num_rounds=many"], TrainConfig)


def test_inconsistent_flags_are_clear_errors(clip, tmp_path):
    with pytest.raises(HerdInputError, match="human"):
        _trainer(clip, tmp_path, fg_motion="comp_skel-human_dense")
    p = subprocess.run(
        [sys.executable, "-m", "herd", "train", f"--seqname={clip}", "--fg_motion=skel-cat"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 2 and "--fg_motion skel-cat" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = subprocess.run(
        [sys.executable, "-m", "herd", "train", "--seqname=nope"], capture_output=True, text=True, cwd=tmp_path
    )
    assert p.returncode == 2 and "nope" in p.stderr
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "herd",
            "train",
            f"--seqname={clip}",
            "--load_suffix=latest",
            f"--logroot={tmp_path / 'empty'}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 2 and "ckpt_latest.pth" in p.stderr


def test_two_process_gloo_run_writes_the_same_checkpoint_format(clip, tmp_path):
    """``torchrun --nproc_per_node 2 -m herd train``: DistributedDataParallel with gloo on CPU."""
    logroot = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29531",
        "-m",
        "herd",
        "train",
        f"--seqname={clip}",
        "--logname=ddp",
        f"--logroot={logroot}",
        "--num_rounds=2",
        "--iters_per_round=5",
        "--num_rays=128",
        "--frames_per_step=4",
        "--num_samples=16",
        "--quiet",
        "--nosingle_inst",
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    run = logroot / f"{clip.name}-ddp"
    ck = read_checkpoint(run / "ckpt_latest.pth")
    assert ck["format"] == CHECKPOINT_FORMAT and ck["step"] == 10
    assert all(torch.isfinite(v).all() for v in ck["model"].values() if v.is_floating_point())
    assert all(math.isfinite(h["mask_iou"]) for h in ck["history"])
    assert (run / "ckpt_0002.pth").is_file() and not list(logroot.glob("*/ckpt_*.pth.tmp"))
    # --num_rays is the whole step's batch: two processes draw half of it each (two of the four frames)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run)).Reload()
    assert [e.value for e in events.Scalars("train/rays")] == [128.0]


def test_code_swapping_schedule(tmp_path):
    data = _synth(
        tmp_path / "two", category="quad", videos=2, frames=6, res=32, seed=5, heldout_views=0, transfer_pairs=0
    )
    t = Trainer(_opts(data, tmp_path), ModelConfig(single_inst=False))
    video = torch.zeros(400, dtype=torch.long)
    assert t.objective.swap_probability(t.progress) == 0.5
    swapped = t.objective.swapped_videos(video, t.progress)
    assert 0.4 < (swapped != video).float().mean() < 0.6 and set(swapped.tolist()) == {0, 1}
    t.step = int(0.3 * t.opts.total_iters)
    assert t.objective.swap_probability(t.progress) == 0 and t.objective.swapped_videos(video, t.progress) is None
    single = Trainer(_opts(data, tmp_path, logname="one"), ModelConfig(single_inst=True))
    assert single.objective.swap_probability(single.progress) == 0


@pytest.mark.parametrize("fg_motion", ["comp_skel-quad_dense", "dense"])
def test_heldout_scale_is_anchored_on_joints_or_surface(clip, tmp_path, fg_motion):
    """The monocular scale of held-out views compares the model's posed joints (without a skeleton:
    its visible surface) with the true ones: true depths twice as far halve it, whatever the true
    object origin is (a ratio of object-origin distances would not move)."""
    from herd.evaluation.masks import model_to_true_scale
    from herd.evaluation.truth import link_truth

    t = _trainer(clip, tmp_path, fg_motion=fg_motion)
    t.run()
    truth = link_truth(t.ds).videos[0]

    class Deeper:
        """The true joints and depth maps twice as far from the camera."""

        def __getattr__(self, name):
            return getattr(truth, name)

        def array(self, name):
            return truth.array(name) * (2 if name == "joints_cam" else 1)

        def depth(self):
            return np.asarray(truth.depth(), np.float32) * 2

    s = model_to_true_scale(t.model, t.cache, truth, t.proxy, t.rcfg, 0)
    assert 0.2 < s < 5
    deeper = model_to_true_scale(t.model, t.cache, Deeper(), t.proxy, t.rcfg, 0)
    assert deeper == pytest.approx(s / 2, rel=1e-3)


def _turned_clip(tmp_path, start_deg: float = 90.0, deg_per_frame: float = 0.0, frames: int = 8) -> Path:
    """One quadruped whose initial poses are exact but turned about the object's up axis by
    ``start_deg + deg_per_frame * frame``; the true poses are kept in ``true_obj2cam.npy``."""
    from herd.data.format import INIT_POSES

    data = _synth(
        tmp_path / "turned",
        category="quad",
        videos=1,
        frames=frames,
        res=48,
        seed=4,
        heldout_views=0,
        transfer_pairs=0,
        init_rot_noise_deg=0,
    )
    path = next(data.glob(f"*/{INIT_POSES}"))
    T = np.load(path)
    np.save(path.with_name("true_obj2cam.npy"), T)
    for i in range(len(T)):
        a = np.radians(start_deg + deg_per_frame * i)
        T[i, :3, :3] = T[i, :3, :3] @ np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    np.save(path, T)
    return data


def _search_errors(data, found):
    """Per frame: heading error (degrees, of the forward axis in the camera's x-z plane) and rotation
    error, each against the true pose or its mirror image through the image plane, whichever is
    closer: a silhouette does not say whether a left-right symmetric body is turned towards the
    camera or away from it by the same angle."""
    from scipy.spatial.transform import Rotation

    true = np.load(next(data.glob("*/true_obj2cam.npy")))
    mirror = true.copy()
    mirror[:, :3, :3] = np.diag([1.0, 1.0, -1.0]) @ true[:, :3, :3] @ np.diag([-1.0, 1.0, 1.0])

    def degrees(a, b):
        return np.degrees(Rotation.from_matrix(a[:, :3, :3] @ np.transpose(b[:, :3, :3], (0, 2, 1))).magnitude())

    def heading(T):
        return np.degrees(np.arctan2(T[:, 2, 2], T[:, 0, 2]))

    def apart(a, b):
        return np.abs((a - b + 180) % 360 - 180)

    head = np.minimum(apart(heading(found), heading(true)), apart(heading(found), heading(mirror)))
    return head, np.minimum(degrees(found, true), degrees(found, mirror))


def test_init_pose_search_finds_a_turned_orientation_and_auto_keeps_given_poses(tmp_path, monkeypatch):
    from scipy.spatial.transform import Rotation

    data = _turned_clip(tmp_path)
    true = np.load(next(data.glob("*/true_obj2cam.npy")))
    given = np.load(next(data.glob("*/init_obj2cam.npy")))

    def init_after(init_pose, logname):
        t = _trainer(
            data, tmp_path, init_pose=init_pose, init_smooth=0.0, logname=logname, num_rounds=1, iters_per_round=1
        )
        t.run()
        return t.model.root.init_obj2cam.cpu().numpy().astype(np.float64)

    def degrees(a, b):
        return np.degrees(Rotation.from_matrix(a[:, :3, :3] @ np.transpose(b[:, :3, :3], (0, 2, 1))).magnitude())

    # the heading is what a silhouette fixes best; the pitch trades off against body proportions
    head, rot = _search_errors(data, init_after("search", "search"))
    assert head.max() < 20 and rot.max() < 35
    assert degrees(given, true).min() > 80  # the search had something to do
    assert degrees(init_after("auto", "auto"), given).max() < 1e-3  # the dataset has poses: no search
    calls = []
    monkeypatch.setattr(Trainer, "_search_init_pose", lambda self: calls.append(True))
    next(data.glob("*/init_obj2cam.npy")).unlink()
    init_after("auto", "auto-none")
    assert calls == [True]


def test_init_pose_search_follows_an_animal_that_turns(tmp_path):
    """Initial poses turned by 0 to 165 degrees over 12 frames: one orientation per video cannot undo
    that; the per-frame search with its turning cost must follow it."""
    data = _turned_clip(tmp_path, start_deg=0.0, deg_per_frame=15.0, frames=12)
    t = _trainer(
        data, tmp_path, init_pose="search", init_smooth=0.0, logname="turning", num_rounds=1, iters_per_round=1
    )
    t.run()
    head, rot = _search_errors(data, t.model.root.init_obj2cam.cpu().numpy().astype(np.float64))
    print("heading error", head.round(1), "rotation error", rot.round(1))
    assert head.max() < 25 and np.median(rot) < 25


def test_checkpoints_of_another_version_are_refused_by_name():
    check_checkpoint_format({"format": CHECKPOINT_FORMAT}, Path("ckpt_latest.pth"))
    with pytest.raises(HerdInputError, match=r"another version of herd.*herd-checkpoint-1.*retrain"):
        check_checkpoint_format({"format": "herd-checkpoint-1"}, Path("ckpt_latest.pth"))
    with pytest.raises(HerdInputError, match="not a herd checkpoint"):
        check_checkpoint_format({"weights": 1}, Path("ckpt_latest.pth"))


def test_bench_options_are_typed_by_the_flag_parser_and_its_own_choices_refused(capsys):
    from herd.bench import category

    train, model = category.parse_extra(["learning_rate=1e-3", "per_video_motion=true"], {"num_rounds": 2})
    assert train == {"num_rounds": 2, "learning_rate": 1e-3} and model == {"per_video_motion": True}
    with pytest.raises(SystemExit) as e:
        category.main(["--set", "fg_motion=dense"])
    assert e.value.code == 2 and "fg_motion" in capsys.readouterr().err


def test_cues_of_unknown_precision_weigh_less_than_exact_ones(clip, tmp_path):
    """Real videos (a detector's keypoints, an estimator's flow) against the same frames stated exact:
    the flow term weighs 1/4, the pose prior 1/22,501 (a tie-breaker against the keypoints) and the
    soft-deformation size term 1/100 (it takes up what a detector's keypoints leave of the pose)."""
    import json
    import shutil

    from herd.train.init_shape import fit_initial_shape

    unknown = tmp_path / "unknown"
    shutil.copytree(clip, unknown)
    vj = unknown / "v000" / "video.json"
    info = json.loads(vj.read_text())
    assert info.pop("flow_sigma_px") == 0.0 and info.pop("keypoint_sigma_px") == 0.0  # herd synth: exact
    vj.write_text(json.dumps(info))
    logs = {}
    for name, data in (("exact", clip), ("unknown", unknown)):
        t = _trainer(data, tmp_path, logname=name)
        fit_initial_shape(t.model)  # a body the rays hit, so the soft term has samples
        t.refresh_proxy()
        t.model.set_progress(0.6)  # the soft field ramped in
        with torch.no_grad():  # rotate the joints off the rest pose so the prior has something to hold
            for p in [*t.model.articulation.rot_net.parameters(), *t.model.soft.parameters()]:
                p.add_(0.05)
        logs[name] = t.compute_losses(t.sampler.sample())[1]
    assert logs["exact"]["flow"] == pytest.approx(4 * logs["unknown"]["flow"], rel=1e-4)
    assert logs["exact"]["prior"] > 0
    assert logs["exact"]["prior"] == pytest.approx(22501 * logs["unknown"]["prior"], rel=1e-3)
    assert logs["exact"]["soft_deform"] > 0
    assert logs["exact"]["soft_deform"] == pytest.approx(100 * logs["unknown"]["soft_deform"], rel=1e-4)


def test_robust_pose_prior_holds_small_rotations_and_lets_large_ones_go(clip, tmp_path):
    from herd.train import losses as L

    def prior_and_grad(angle: float, scale: float) -> tuple[float, float]:
        r = torch.zeros(1, 3, 3)
        r[0, 1, 0] = angle
        r.requires_grad_(True)
        st = type("St", (), {"joint_rotvecs": r})()
        v = L.pose_prior(st, scale, torch.ones(1))
        (g,) = torch.autograd.grad(v, r)
        return float(v.detach()), float(g[0, 1, 0])

    small, _ = prior_and_grad(0.01, 0.15)
    assert small == pytest.approx(0.01**2 / 6, rel=0.01)  # r^2 for small rotations (mean of 6 entries)
    big, g_big = prior_and_grad(2.0, 0.15)
    _, g_mid = prior_and_grad(0.15, 0.15)
    plain, g_plain = prior_and_grad(2.0, 0.0)
    assert plain == pytest.approx(4 / 6) and big < 0.05 * plain
    assert g_big < 0.2 * g_mid and g_big < 0.01 * g_plain  # a sitting knee is barely held back
    # the trainer keeps the prior all through training unless told to fade it
    t = _trainer(clip, tmp_path)
    t.refresh_proxy()
    t.step = t.opts.total_iters - 1
    assert "prior" in t.compute_losses(t.sampler.sample())[1]
    faded = _trainer(clip, tmp_path, logname="fade", pose_prior_fade=0.5)
    faded.refresh_proxy()
    faded.step = faded.opts.total_iters - 1
    assert "prior" not in faded.compute_losses(faded.sampler.sample())[1]


def test_soft_deformation_size_penalty_sees_the_backward_field_that_renders(clip, tmp_path):
    """Rendering warps posed samples back with the *backward* field; penalising only the forward one
    left the backward field free to fit the reference view (held-out IoU 0.83 -> 0.77)."""
    t = _trainer(clip, tmp_path)
    from herd.train.init_shape import fit_initial_shape

    fit_initial_shape(t.model)
    t.refresh_proxy()
    t.model.set_progress(0.6)  # soft deformation fully on
    batch = t.sampler.sample()
    assert t.compute_losses(batch)[1]["soft_deform"] == 0.0  # both fields start at zero
    with torch.no_grad():  # move the backward field only; the forward one stays exactly zero
        t.model.soft.bwd.net[-1].bias.fill_(0.5)
    total, logs = t.compute_losses(batch)
    assert logs["soft_deform"] > 0.005  # 3 x (0.05 x size)^2 where samples count
    total.backward()
    assert t.model.soft.bwd.net[-1].bias.grad.abs().sum() > 0


def test_keypoints_that_may_be_mirrored_are_read_either_way(clip, tmp_path):
    """A silhouette cue cannot tell left from right: keypoints its dataset marks as possibly
    mirrored are compared with the skeleton as they are and with left and right swapped, per
    frame, and the better fit counts; other keypoints are taken as labelled."""
    import dataclasses
    import json
    import shutil

    from herd.train.losses import keypoint_loss

    copy = tmp_path / "mirrored"
    shutil.copytree(clip, copy)
    vj = copy / "v000" / "video.json"
    vj.write_text(json.dumps({**json.loads(vj.read_text()), "keypoints_mirrored": True}))
    t = _trainer(copy, tmp_path)
    assert bool(t.objective.kp_mirrored.all()) and not bool(
        _trainer(clip, tmp_path, logname="u").objective.kp_mirrored.any()
    )
    batch = t.sampler.sample()
    st = t.model.frame_state(batch.frames)
    res, prec, sym = t.cache.res, torch.ones(len(batch.frames)), t.objective.kp_symmetry
    swapped = dataclasses.replace(batch, keypoints=batch.keypoints[:, sym])  # each joint's keypoint on its twin
    as_given, wrong = keypoint_loss(st, batch, res, prec), keypoint_loss(st, swapped, res, prec)
    assert wrong > 1.5 * as_given  # a side view: left and right limbs project apart
    either = keypoint_loss(st, swapped, res, prec, sym, t.objective.kp_mirrored[batch.frames])
    assert either <= as_given + 1e-9 and either < wrong
    none_mirrored = torch.zeros(len(batch.frames), dtype=torch.bool)
    assert keypoint_loss(st, swapped, res, prec, sym, none_mirrored) == wrong


def test_a_sure_keypoint_weighs_more_without_taking_weight_from_the_others(clip, tmp_path):
    """A confidence above 1 (the cue network surer of a joint than it typically is) multiplies that
    joint's term, and every other joint keeps its absolute weight: the mean over keypoints is by
    confidences up to 1, so making one joint surer adds its share and divides nothing."""
    import dataclasses

    from herd.train.losses import keypoint_loss, projected_joints

    t = _trainer(clip, tmp_path)
    batch = t.sampler.sample()
    st = t.model.frame_state(batch.frames)
    res, prec = t.cache.res, torch.ones(len(batch.frames))
    kp = batch.keypoints
    assert kp is not None and float(kp[..., 2].max()) <= 1
    with torch.no_grad():
        base = keypoint_loss(st, batch, res, prec)
        sure = kp.clone()
        sure[:, 0, 2] *= 4
        surer = keypoint_loss(st, dataclasses.replace(batch, keypoints=sure), res, prec)
        err0 = (((projected_joints(st)[:, 0] - kp[:, 0, :2]) ** 2).sum(-1) / res**2 * kp[:, 0, 2]).sum()
    assert err0 > 0
    assert float(surer) == pytest.approx(float(base + 3 * err0 / kp[..., 2].sum()), rel=1e-5)


class _Payload:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(__file__).with_name(".pwned-by-checkpoint"),))


def test_opening_a_run_never_runs_code_from_its_checkpoint(tmp_path):
    from herd.run.summary import run_summary

    run = tmp_path / "run"
    run.mkdir()
    (run / "opts.log").write_text("--seqname=x\n--num_rounds=1\n--iters_per_round=1\n")
    torch.save({"step": 1, "evil": _Payload()}, run / "ckpt_latest.pth")
    marker = Path(__file__).with_name(".pwned-by-checkpoint")
    marker.unlink(missing_ok=True)
    with pytest.raises(Exception):
        run_summary(run)
    assert not marker.exists()


def test_a_run_trained_before_shading_opens_as_it_was_trained(clip, tmp_path):
    """Runs from before --shading (on by default since) have no such flag in opts.log and a
    narrower colour head; they open with shading off instead of a shape mismatch."""
    from herd.run.loaded_run import load_run

    opts = _opts(clip, tmp_path, num_rounds=1, iters_per_round=2)
    Trainer(opts, ModelConfig(shading=False)).run()
    run = load_run(opts, ModelConfig())
    assert run.model_cfg.shading is False and run.model.field.shading is False
