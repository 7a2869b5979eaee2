"""The command line: files written, one-line errors with exit status 2, nothing lost."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from cavitation.cli import main
from cavitation.io import read_audio
from cavitation.presets import PRESETS


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_render_writes_wav_json_and_png(tmp_path, capsys):
    assert main(["render", "--preset", "knuckle", "--out", str(tmp_path)]) == 0
    assert _files(tmp_path) == ["knuckle.json", "knuckle.png", "knuckle.wav"]
    out = capsys.readouterr().out
    assert "cracked at" in out and "dB SPL" in out
    meta = json.loads((tmp_path / "knuckle.json").read_text())
    assert meta["preset"] == "knuckle" and meta["samplerate_hz"] == 48000


def test_the_dashboard_is_written_as_asked(tmp_path):
    # PNG by default, PDF and SVG beside it if asked, none with --no-figure.
    assert main(["render", "--out", str(tmp_path / "a"), "--pdf", "--svg"]) == 0
    assert sorted(p.suffix for p in (tmp_path / "a").iterdir()) == [
        ".json", ".pdf", ".png", ".svg", ".wav"]
    assert (tmp_path / "a" / "knuckle.pdf").read_bytes().startswith(b"%PDF")
    assert main(["render", "--out", str(tmp_path / "b"), "--no-figure"]) == 0
    assert sorted(p.suffix for p in (tmp_path / "b").iterdir()) == [".json", ".wav"]
    # Overwritten without figures, the old sound's dashboards go with it.
    assert main(["render", "--out", str(tmp_path / "a"), "--name", "knuckle", "--no-figure",
                 "--set", "loading.peak_force_n=80", "--overwrite"]) == 0
    assert sorted(p.suffix for p in (tmp_path / "a").iterdir()) == [".json", ".wav"]
    # Overwritten as FLAC, the old sound's WAV goes too: it would contradict the JSON.
    assert main(["render", "--out", str(tmp_path / "a"), "--name", "knuckle", "--no-figure",
                 "--format", "flac", "--overwrite"]) == 0
    assert sorted(p.suffix for p in (tmp_path / "a").iterdir()) == [".flac", ".json"]


def test_a_folder_in_the_way_of_a_file_is_one_line_and_nothing_written(tmp_path, capsys):
    (tmp_path / "knuckle.json").mkdir()
    for overwrite in ([], ["--overwrite"]):
        assert main(["render", "--out", str(tmp_path), *overwrite]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "knuckle.json: a folder where a file is to go" in err
        assert "--overwrite" not in err  # it would not help
    assert [p.name for p in tmp_path.iterdir()] == ["knuckle.json"]


def test_set_changes_a_parameter_and_the_loading(tmp_path):
    args = ["render", "--out", str(tmp_path), "--set", "capsule.compliance_m3_pa=3e-13",
            "--set", "loading.peak_force_n=80", "--format", "flac", "--subtype", "PCM_16",
            "--listener", "contact", "--samplerate", "96000", "--name", "knuckle"]
    assert main(args) == 0
    meta = json.loads((tmp_path / "knuckle.json").read_text())
    assert meta["parameters"]["joint"]["capsule"]["compliance_m3_pa"] == 3e-13
    assert meta["parameters"]["loading"]["peak_force_n"] == 80.0
    assert meta["samplerate_hz"] == 96000 and (tmp_path / "knuckle.flac").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "elbow"], "unknown preset 'elbow'; valid choices: knuckle"),
        (["--set", "mass_kg=-1"], "Joint.mass_kg = -1.0 kg is out of range; valid range:"
                                  " [0.001, 20] kg"),
        (["--set", "mass=1"], "unknown parameter 'mass'; valid names: name, area_m2"),
        (["--set", "loading.force=1"], "unknown parameter 'loading.force'; valid names:"),
        (["--set", "loading.peak_force_n=-5"], "loading.peak_force_n = -5.0 N is out of range"),
        (["--set", "mass_kg=heavy"], "--set mass_kg=heavy: 'heavy' is not a number"),
        (["--set", "mass_kg=1", "--set", "mass_kg=2"], "--set mass_kg is given twice"),
        (["--preset", ""], "unknown preset ''; valid choices: knuckle"),
        (["--distance", "100", "--subtype", "PCM_16"], "below one step of PCM_16"),
        (["--samplerate", "11025"], "argument --samplerate: invalid choice: 11025"),
        (["--listener", "ear"], "argument --listener: invalid choice: 'ear'"),
        (["--format", "flac", "--subtype", "FLOAT"], "unknown subtype for flac 'FLOAT'"),
        (["--distance", "0"], "air_distance_m = 0.0 m is out of range; valid range:"
                              " [0.01, 100] m"),
        (["--full-scale", "0.01"], "above full_scale = 0.01 Pa"),
        (["--no-figure", "--pdf"], "--no-figure writes no dashboard; it excludes --pdf"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_files(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(main(["render", "--out", str(out), *args]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert _files(out) == []


def test_render_removes_what_an_interrupted_render_left(tmp_path, capsys):
    import subprocess

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    from cavitation.io import _HOST

    stale = tmp_path / f".knuckle.wav.{_HOST}.{int(dead.stdout)}.ab12cd34.part"
    stale.write_bytes(b"half")
    (tmp_path / ".notes.part").write_bytes(b"mine")
    assert main(["render", "--out", str(tmp_path)]) == 0
    assert not stale.exists() and (tmp_path / ".notes.part").read_bytes() == b"mine"


def test_existing_files_are_kept_and_the_run_refused(tmp_path, capsys):
    (tmp_path / "knuckle.wav").write_bytes(b"mine")
    assert main(["render", "--out", str(tmp_path)]) == 2
    assert "already exist" in capsys.readouterr().err
    assert (tmp_path / "knuckle.wav").read_bytes() == b"mine"
    assert _files(tmp_path) == ["knuckle.wav"]
    assert main(["render", "--out", str(tmp_path), "--overwrite"]) == 0
    assert (tmp_path / "knuckle.wav").read_bytes() != b"mine"


def test_help_explains_every_option_with_units(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for needle in ("--preset", "--set", "--listener", "--samplerate", "[Hz]", "[Pa]", "[m]",
                   "--format", "--out", "--overwrite", "--seed", "SI"):
        assert needle in text, needle


def test_list_parameters_is_a_table_of_units_ranges_and_sources(capsys):
    assert main(["render", "--list-parameters", "--set", "mass_kg=0.04"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"name +value +unit +valid range", lines[0])
    assert lines[1] == "    source" and max(map(len, lines)) <= 100
    at = next(i for i, line in enumerate(lines) if line.startswith("mass_kg "))
    assert re.fullmatch(r"mass_kg +0\.04 +kg +\[0\.001, 20\]", lines[at])
    assert lines[at + 1].startswith("    effective mass of the moving bone")
    text = "\n".join(lines)
    assert "capsule.compliance_m3_pa" in text and "m^3/Pa" in text
    assert "loading.peak_force_n" in text and "Wood" in text
    # The same as JSON, with the range's ends as numbers.
    assert main(["render", "--list-parameters", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["mass_kg"]["unit"], rows["mass_kg"]["low"], rows["mass_kg"]["high"]) == \
        ("kg", 0.001, 20.0)
    assert rows["loading.peak_force_n"]["source"] and rows["name"]["low"] is None
    assert main(["render", "--json"]) == 2
    assert "--json prints the parameters; it needs --list-parameters" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("cavitation") is None, reason="console script not installed")
def test_console_script_runs(tmp_path):
    done = subprocess.run(["cavitation", "render", "--out", str(tmp_path), "--set",
                           "nucleation.radius_m=1"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("cavitation render: error: nucleation.radius_m = 1.0 m")
    assert done.stderr.count("\n") == 1


def test_presets_lists_every_preset_and_scenario(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in ("knuckle", "atlanto-occipital", "atlanto-axial", "mid-cervical",
                 "lumbar-facet", "upper-cervical"):
        assert name in out


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_parameter_tables_fit_100_characters(capsys, name):
    assert main(["presets", name]) == 0
    assert main(["render", "--preset", name, "--list-parameters"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100 and len(lines) > 40


def test_presets_shows_one_in_full_with_sources(capsys):
    assert main(["presets", "atlanto-axial"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the source column wraps
    assert "17.5 x 15.0 mm" in out and "Kawchuk, Herzog" in out and "m^3/Pa" in out


def test_unknown_preset_to_show_is_one_line(capsys):
    assert main(["presets", "elbow"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_person_of_the_population_is_rendered_and_named(tmp_path, capsys):
    args = ["render", "--scenario", "lumbar", "--person", "3", "--seed", "7", "--listener",
            "accelerometer", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("lumbar_person-3-seed-7: ") and "pop(s) (" in out
    [json_path] = tmp_path.glob("*.json")
    meta = json.loads(json_path.read_text())
    assert meta["scenario"]["changes"] == ["person 3 seed 7"]
    assert meta["parameters"]["audio"]["unit"] == "m/s^2"
    # The same person as cavitation.population draws in Python.
    from cavitation import population, scenario

    person = population.draw_people(scenario.get_scenario("lumbar"), 4, seed=7)[3]
    assert meta["sites"][0]["joint"] == person.sites[0].joint.as_dict()
    assert main([*args[:-2], "--person", "-1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--person = -1 is out of range; valid range: [0, 99999]" in err


def test_scenario_renders_stereo(tmp_path, capsys):
    args = ["render", "--scenario", "upper-cervical", "--turn", "left", "--listener",
            "contact", "--out", str(tmp_path), "--name", "upper-cervical_turned-left"]
    assert main(args) == 0
    assert "2 joints cracked" in capsys.readouterr().out
    samples, rate, _ = read_audio(tmp_path / "upper-cervical_turned-left.wav")
    assert samples.shape[1] == 2 and rate == 48000
    meta = json.loads((tmp_path / "upper-cervical_turned-left.json").read_text())
    assert meta["channels"] == 2 and len(meta["sites"]) == 6
    assert meta["scenario"]["changes"] == ["turned left"]
    # Simulated as a crack to be heard (render.hearing_options), as a single joint is.
    assert meta["parameters"]["simulation"]["rtol"] == 1e-7
    assert meta["parameters"]["simulation"]["output_step_s"] == pytest.approx(1 / 288000)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--turn", "left"], "--turn, --rotate, --spasm and --person need --scenario"),
        (["--scenario", "upper-cervical", "--preset", "knuckle"], "--preset applies to one"),
        (["--scenario", "upper-cervical", "--list-parameters"], "--list-parameters applies"),
        (["--scenario", "upper-cervical", "--set", "mass_kg=1"], "--set applies to one"),
        (["--scenario", "lumbar", "--turn", "left"], "applies to the cervical scenarios"),
        (["--scenario", "upper-cervical", "--turn", "left", "--rotate", "left"],
         "exclude each other"),
        (["--spasm-force", "3"], "--spasm-force and --spasm-stiffness need --spasm"),
        (["--level", "normalised", "--full-scale", "10"], "no effect with --level normalised"),
        (["--distance", "0.01", "--full-scale", "0.1"],
         "(--full-scale sets it; or --level normalised)"),
        (["--lufs", "-30"], "--lufs sets the loudness level; it has no effect with --level"
                            " calibrated"),
        (["--level", "loudness", "--full-scale", "10"], "no effect with --level loudness"),
        # These two were taken, recorded in the JSON and the file's name, and changed
        # nothing in the sound.
        (["--model", "rayleigh_plesset"], "--model sets the equation of a spherical cavity;"
                                          " it has no effect with --geometry confined"),
        (["--listener", "contact", "--distance", "5"],
         "--distance sets the air microphone's distance; it has no effect with --listener"
         " contact"),
        (["--level", "loudness", "--lufs", "3"], "target_loudness_lufs = 3.0 LUFS is out of"
                                                 " range; valid range: [-70, 0] LUFS"),
        (["--level", "loudness", "--lufs", "-10"], "valid for this sound: at most -27.5 LUFS"
                                                   " (a click is loud in its peak, quiet over"
                                                   " 400 ms) (--lufs sets it; or --level"
                                                   " normalised)"),
    ],
)
def test_options_that_would_be_ignored_are_refused(tmp_path, capsys, args, message):
    assert main(["render", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_unwritable_output_folder_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["render", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cavitation render: error: cannot write to --out {blocker}")
    assert err.count("\n") == 1 and "--overwrite" not in err


def test_pulls_prints_the_sequence_of_outcomes(capsys):
    assert main(["pulls", "--at", "0", "300", "9000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    outcomes = [line.split()[2] for line in lines[2:]]
    assert outcomes == ["crack", "no", "crack"]  # "no crack" at 5 min, a crack at 150


def test_pulls_before_time_zero_is_one_line(capsys):
    assert main(["pulls", "--at", "-5", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "start_times_s[0] = -5.0 s is out of range" in err


def test_pulls_out_of_order_is_one_line(capsys):
    assert main(["pulls", "--at", "300", "0"]) == 2
    err = capsys.readouterr().err
    assert "start_times_s[1] = 0.0 s is out of range" in err and err.count("\n") == 1


def test_an_interrupt_after_the_work_is_done_is_ignored_while_the_program_exits():
    # Python resets its Ctrl-C handler to the system default while it shuts down, so a
    # Ctrl-C or SIGTERM landing while a finished batch's pool is joined killed the
    # program (status -2) although every file was whole. The program ignores both once
    # main has returned; its status is main's.
    code = ("import atexit, signal; from cavitation import cli;"
            " cli._main = lambda argv, process_ends: (3, False);"
            " cli._nothing_to_join = lambda: False;"  # as after a batch: the ordinary exit
            " atexit.register(lambda: print(signal.getsignal(signal.SIGINT) is"
            " signal.SIG_IGN, signal.getsignal(signal.SIGTERM) is signal.SIG_IGN));"
            " cli.run()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 3
    assert done.stdout.split() == ["True", "True"]


def test_a_render_runs_with_the_collector_paused_and_main_switches_it_on_again(monkeypatch):
    # The cyclic garbage collector's passes over numba's and matplotlib's objects cost
    # 0.1-0.2 s of a render; main pauses it for a render alone, and restores it for a
    # caller that goes on (a notebook, these tests).
    import gc

    from cavitation import cli

    seen = {}
    monkeypatch.setattr(cli, "_render", lambda args: seen.setdefault("render", gc.isenabled())
                        and 0)
    monkeypatch.setattr(cli, "_presets", lambda args: seen.setdefault("presets", gc.isenabled())
                        and 0)
    assert gc.isenabled()
    assert main(["render"]) == 0 and main(["presets"]) == 0
    assert seen == {"render": False, "presets": True}
    assert gc.isenabled()
    gc.disable()  # a caller's own choice is left as it was
    try:
        assert main(["render"]) == 0 and not gc.isenabled()
    finally:
        gc.enable()


def test_the_program_leaves_the_collector_paused_only_where_it_ends_at_once():
    # Switched on again, the collector's first pass takes in all a render made (0.08 s),
    # for a process about to end; so the program (run) leaves it paused where it ends
    # at once (os._exit), and switches it on where it exits the ordinary way, which a
    # caller may catch and go on from (runpy, python -m in a notebook).
    prelude = ("import gc, os, sys; from cavitation import cli;"
               " cli._render = lambda args: 0; sys.argv = ['cavitation', 'render'];")
    at_once = prelude + (" cli.os._exit = lambda status: (print(gc.isenabled(), status),"
                         " sys.stdout.flush(), os.abort() if status else None);"
                         " cli.run(); print('not reached')")
    ordinary = prelude + (" exec('try: cli.run(fast_exit=False)\\nexcept SystemExit as e:"
                          " print(gc.isenabled(), e.code)')")
    for code, expected in ((at_once, ["False", "0"]), (ordinary, ["True", "0"])):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split()[:2] == expected


def _readme_commands() -> list[list[str]]:
    """The ``cavitation`` lines of the README's command-line section, as argument lists."""
    import shlex
    from pathlib import Path

    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text.split("## The command line", 1)[1].split("```", 2)[1]
    return [shlex.split(line.split("#", 1)[0])[1:] for line in section.splitlines()
            if line.startswith("cavitation ")]


def test_the_readmes_examples_run_one_after_another(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    commands = _readme_commands()
    assert len(commands) >= 5
    for args in commands:
        try:
            status = main(args)
        except SystemExit as done:  # --help
            status = done.code
        assert status == 0, (args, capsys.readouterr().err)
    written = sorted(p.name for p in (tmp_path / "outputs").iterdir())
    # The default render and the one with --set values, side by side.
    assert "knuckle.wav" in written and any(n.startswith("knuckle-") for n in written)


def test_a_pull_that_does_not_crack_is_said_without_infinities(tmp_path, capsys):
    assert main(["render", "--out", str(tmp_path), "--no-figure",
                 "--set", "loading.peak_force_n=5"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ("knuckle: no crack: the pull never reached the nucleation pressure;"
                     " silence at the air listener")  # was "peak -inf dB SPL, dominant nan Hz"
    assert main(["render", "--out", str(tmp_path), "--no-figure", "--scenario",
                 "upper-cervical", "--spasm", "left", "--spasm-force", "500",
                 "--spasm-stiffness", "10", "--turn", "left"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("0 joints cracked (none); heard as 0 pop(s), silence at the air"
                          " listener")


def test_options_given_as_their_defaults_leave_the_name(tmp_path):
    # The README: a render whose options or --set values differ from the defaults adds
    # a fingerprint. One given as its default does not differ.
    assert main(["render", "--out", str(tmp_path), "--no-figure", "--set", "mass_kg=0.03",
                 "--distance", "0.1", "--set", "loading.peak_force_n=60"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knuckle.json", "knuckle.wav"]
    assert main(["render", "--out", str(tmp_path), "--no-figure", "--set",
                 "mass_kg=0.031"]) == 0
    assert len(list(tmp_path.glob("knuckle-*.wav"))) == 1


def test_name_chooses_the_files_name(tmp_path, capsys):
    assert main(["render", "--out", str(tmp_path), "--name", "mine"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json", "mine.png", "mine.wav"]
    assert main(["render", "--out", str(tmp_path), "--name", "a/b"]) == 2
    assert "--name 'a/b' is not a file name" in capsys.readouterr().err
    # The names a batch refuses (hidden, a formula, a line break, too long) as well.
    for name in (".hidden", "=HYPERLINK(1)", "a\nb", "x" * 201):
        assert main(["render", "--out", str(tmp_path / "no"), "--name", name]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is not a file name; valid: a plain file name" in err
    assert not (tmp_path / "no").exists()


def test_pack_makes_a_varied_labelled_set_and_says_how_it_spreads(tmp_path, capsys):
    out = tmp_path / "pack"
    assert main(["pack", "--preset", "knuckle", "--count", "6", "--out", str(out),
                 "--samplerate", "16000", "--workers", "1", "--seed", "4", "--listen"]) == 0
    printed = capsys.readouterr().out
    assert "6 sounds: 6 cracked, 0 silent (no crack), 0 failed." in printed
    assert re.search(r"loudness +-35 LUFS \(-35 to -35\)", printed)
    assert re.search(r"dominant frequency +\d+(\.\d+)? Hz \(\d+(\.\d+)? to \d+(\.\d+)?,"
                     r" \d\.\d octaves\)", printed)
    # The set is varied: six different sounds, each a different person.
    from cavitation import batch

    rows = batch.results(out)
    assert len({r["audio_sha256"] for r in rows}) == 6
    assert len({r["area_m2"] for r in rows}) == 6
    sheet = out / "contact_sheet.png"
    from matplotlib.image import imread

    assert imread(sheet).shape[:2] == (180, 1200)  # one row of six panels, 100 dpi
    # Resumed, it is the same set: nothing is rendered again (the default distance,
    # given, is the same sweep).
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["pack", "--count", "6", "--out", str(out), "--samplerate", "16000",
                 "--workers", "1", "--seed", "4", "--resume", "--distance", "0.1"]) == 0
    assert "0 rendered" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(("args", "message"), [
    (["--preset", "nope"], "unknown preset 'nope'; valid choices: knuckle,"),
    (["--count", "0"], "count = 0 is out of range; valid range: [1, 1e+06]"),
    (["--level", "normalised", "--lufs", "-20"], "--lufs sets the loudness level"),
    (["--lufs", "-90"], "--lufs = -90.0 LUFS is out of range; valid range: [-70, 0] LUFS"),
    (["--lufs", "nan"], "--lufs = nan LUFS is out of range"),
    (["--lufs", "-20"], "valid for this sound: at most -27.5 LUFS"),
    (["--license", "my licence"], "license: 'my licence' is not an SPDX licence identifier"),
    (["--listener", "accelerometer", "--distance", "1"], "--distance sets the air microphone's"),
])
def test_pack_refuses_bad_input_in_one_line_and_writes_nothing(tmp_path, capsys, args,
                                                               message):
    base = {"--count": "3"}
    argv = ["pack", "--out", str(tmp_path / "o"), "--workers", "1"]
    for flag, value in base.items():
        if flag not in args:
            argv += [flag, value]
    assert main(argv + args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_the_program_says_everything_before_it_leaves(tmp_path, capsys):
    # The cavitation program exits without the interpreter's teardown (0.3 s of compiled
    # code) when nothing is left to join: what it printed is all there, more than one
    # 8 kB buffer or less, written to a file with Python's own buffering (the suite may
    # run unbuffered), and its status is kept.
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    program = [sys.executable, "-c", "from cavitation.cli import run; run()"]
    sizes = []
    for argv in (["presets", "knuckle"], ["render", "--out", str(tmp_path), "--no-figure"]):
        assert main(list(argv)) == 0
        expected = capsys.readouterr().out
        sizes.append(len(expected))
        if argv[0] == "render":
            (tmp_path / "knuckle.wav").unlink()
            (tmp_path / "knuckle.json").unlink()
        out = tmp_path / "out.txt"
        with out.open("w") as stdout:
            done = subprocess.run([*program, *argv], stdout=stdout, stderr=subprocess.PIPE,
                                  text=True, env=env, check=False)
        assert done.returncode == 0, done.stderr
        assert out.read_text() == expected
    assert min(sizes) < 8192 < max(sizes)  # within one buffer, and over it
    # A write that fails (a full disk) is said in one line and fails the run.
    with open("/dev/full", "w") as full:
        done = subprocess.run([*program, "presets", "knuckle"], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env, check=False)
    assert done.returncode == 1
    assert done.stderr == ("cavitation presets: error: cannot write the output: No space"
                           " left on device\n")
    with open("/dev/full", "w") as full:  # a short output fails at the last flush
        done = subprocess.run([*program, "presets"], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=env, check=False)
    assert done.returncode == 1
    assert done.stderr == "cavitation: error: cannot write the output: No space left on device\n"
    # Bad input keeps its status; a batch's pool is joined the ordinary way.
    again = subprocess.run([*program, "render", "--out", str(tmp_path), "--listener", "x"],
                           capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    code = ("from cavitation import cli; print(cli._nothing_to_join());"
            " import concurrent.futures.process; print(cli._nothing_to_join())")
    pools = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert pools.stdout.split() == ["True", "False"]


@pytest.mark.parametrize(("arguments", "kept_off"), [
    (["--no-figure"], ("scipy.signal", "scipy.stats", "pyloudnorm", "matplotlib")),
    (["--preset", "atlanto-axial", "--listener", "accelerometer"],
     ("scipy.signal", "scipy.stats", "pyloudnorm")),
])
def test_a_render_keeps_slow_imports_off_its_path(tmp_path, arguments, kept_off):
    # scipy.signal alone took 0.36 s of a 0.85 s render: a render (the knuckle's sound
    # and JSON; a neck joint through the body's filters, with its dashboard) must not
    # import it, nor what it drags in, nor matplotlib when there is no figure to draw.
    code = ("import sys; from cavitation.cli import run;"
            f" sys.argv = ['cavitation', 'render', '--out', {str(tmp_path)!r}] + {arguments!r};"
            " run(fast_exit=False)")
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], check=True,
                         capture_output=True, text=True).stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if "|" in line}
    assert "cavitation.simulation" in imported  # the listing is read as it should be
    slow = sorted(imported & set(kept_off))
    assert not slow, f"the render imported {slow}"
