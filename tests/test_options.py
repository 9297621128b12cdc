"""Options read once into typed values, and each command's ``--help`` listing its own options."""

import pytest

from herd.cli.main import main
from herd.errors import HerdInputError
from herd.model.fg_motion import ALL, FgMotion
from herd.model.model import ModelConfig
from herd.run.flags import parse_flags, to_flagfile
from herd.run.options import TrainConfig


@pytest.mark.parametrize(
    "text, skeleton, soft",
    [
        ("rigid", None, False),
        ("dense", None, True),
        ("skel-human", "human", False),
        ("skel-quad", "quad", False),
        ("comp_skel-human_dense", "human", True),
        ("comp_skel-quad_dense", "quad", True),
    ],
)
def test_fg_motion_reads_every_tutorial_spelling_and_writes_it_back(text, skeleton, soft):
    m = FgMotion.parse(text)
    assert (m.skeleton, m.soft) == (skeleton, soft) and str(m) == text
    _, cfg = parse_flags(["--seqname=x", f"--fg_motion={text}"], TrainConfig, ModelConfig)
    assert cfg.fg_motion == m and f"--fg_motion={text}\n" in to_flagfile(cfg)
    assert ModelConfig(fg_motion=text).fg_motion == m  # the flag spelling, read at construction
    assert len(set(ALL)) == 6


def test_unknown_fg_motion_is_one_line_naming_the_choices():
    with pytest.raises(HerdInputError, match="--fg_motion skel-cat: unknown; choose one of rigid, dense"):
        parse_flags(["--seqname=x", "--fg_motion", "skel-cat"], TrainConfig, ModelConfig)


@pytest.mark.parametrize(
    "command, own, foreign",
    [
        ("eval", "--stride", "--learning_rate"),
        ("render", "--viewpoint", "--num_rays"),
        ("export", "--grid_size", "--fg_motion"),
        ("reanimate", "--motion_id", "--mask_wt"),
    ],
)
def test_help_of_a_command_on_a_run_lists_its_own_options_only(command, own, foreign, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and own in out and foreign not in out and "--flagfile" in out


def test_train_help_lists_training_and_model_options(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--learning_rate" in out and "--fg_motion" in out
    # options documented together ("hidden, depth: ...") each get the doc
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("--depth "))
    assert "hidden layers" in line


def test_one_parser_reads_lists_choices_and_flagfiles_for_the_data_commands(tmp_path):
    from pathlib import Path

    from herd.cli.preprocess_cmd import PreprocessOptions
    from herd.cli.synth_cmd import SynthOptions

    (o,) = parse_flags(
        ["--input", "a.mp4", "b", "--category", "quad", "--out=x", "--nooverwrite", "--fps", "5"], PreprocessOptions
    )
    assert o.input == [Path("a.mp4"), Path("b")] and o.out == Path("x") and o.fps == 5.0 and o.masks is None
    (o,) = parse_flags(["--input=a.mp4", "--category=human", "--out", "x", "--pose", "none"], PreprocessOptions)
    assert o.input == [Path("a.mp4")] and o.pose == "none"
    with pytest.raises(HerdInputError, match="--pose=detector: choose auto or mediapipe or cuenet or none"):
        parse_flags(["--input=a", "--category=quad", "--out=x", "--pose=detector"], PreprocessOptions)
    flagfile = tmp_path / "synth.flags"
    flagfile.write_text("--category=human\n--videos=2\n")
    (s,) = parse_flags([f"--flagfile={flagfile}", "--out", "d", "--videos", "3"], SynthOptions)
    assert (s.category, s.videos, s.out, s.asset) == ("human", 3, Path("d"), None)  # later flags win


@pytest.mark.parametrize(
    "command, own, foreign",
    [
        ("synth", "--heldout_views", "--learning_rate"),
        ("preprocess", "--min_motion", "--videos"),
        ("info", "--json", "--port"),
        ("report", "--port", "--json"),
        ("demo", "--quick", "--seqname"),
    ],
)
def test_help_of_every_command_lists_its_own_options(command, own, foreign, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and own in out and foreign not in out


def test_a_command_on_a_folder_wants_exactly_one(capsys):
    assert main(["info"]) == 2 and "herd info PATH" in capsys.readouterr().err
    assert main(["report", "a", "b"]) == 2 and "one training run folder" in capsys.readouterr().err
