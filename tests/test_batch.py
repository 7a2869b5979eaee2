"""Batch export: checked sweeps, identical reruns, resume after kill -9, failures, Dask."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cavitation import batch
from cavitation.cli import main

SMALL = """
preset = "knuckle"
name = "k_{run:02d}_{loading_peak_force_n:.0f}N"
seed = 11
[grid]
"loading.peak_force_n" = [45.0, 70.0]
[random]
count = 2
log_uniform = { "mass_kg" = [0.02, 0.05] }
[simulation]
after_crack_s = 0.01
[audio]
pad_before_s = 0.01
pad_after_s = 0.01
noise_rms_pa = 0.001
"""


def _write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_sweep_expands_grid_times_draws(tmp_path):
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    assert len(sweep.runs) == 4
    assert [r.name for r in sweep.runs] == ["k_00_45N", "k_01_45N", "k_02_70N", "k_03_70N"]
    masses = [r.swept["mass_kg"] for r in sweep.runs]
    assert masses[0] == masses[2] and masses[1] == masses[3]  # draws reused per point
    assert all(0.02 <= m <= 0.05 for m in masses)
    assert [r.seed for r in sweep.runs] == [11, 12, 13, 14]


def test_same_sweep_gives_byte_identical_files_in_and_out_of_process(tmp_path):
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    one = batch.run(sweep, tmp_path / "one", workers=1)
    two = batch.run(sweep, tmp_path / "two", workers=2)
    assert one.failed == two.failed == 0 and one.rendered == 4
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    manifest = (tmp_path / "one" / "manifest.csv").read_text().splitlines()
    assert manifest[0].startswith("run_id,name,status,error,audio_file,audio_sha256,"
                                  "loading.peak_force_n,mass_kg,cracked")
    assert len(manifest) == 5 and all(",ok," in row for row in manifest[1:])


def test_example_sweeps_are_valid():
    examples = Path(__file__).parents[1] / "examples"
    assert len(batch.load_sweep(examples / "knuckle_sweep.toml").runs) == 12
    people = batch.load_sweep(examples / "knuckle_people.toml").runs
    assert len(people) == 100 and people[51].name == "knuckle_70N_001"
    # The same person at both pull strengths: the same joint, a stronger pull.
    same = {k: v for k, v in people[1].swept.items() if k != "loading.peak_force_n"}
    assert same == {k: v for k, v in people[51].swept.items() if k != "loading.peak_force_n"}


def test_killed_batch_resumes_to_the_same_files(tmp_path):
    # With a figure per run, a run takes a few tenths of a second (a bare one takes
    # milliseconds), so the kill lands part-way.
    sweep_path = _write(tmp_path, SMALL + 'figures = ["png"]\n')
    batch.run(batch.load_sweep(sweep_path), tmp_path / "whole", workers=1)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "cavitation", "batch", str(sweep_path),
                             "--out", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finals = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert 0 < len(finals) < 13  # part-way: some runs written, no manifest yet
    # Leftovers an interruption can leave: a temporary file and a damaged audio file.
    from cavitation.io import _HOST

    (out / f".k_03_70N.wav.{_HOST}.{proc.pid}.abcd1234.part").write_bytes(b"half")  # dead
    damaged = sorted(out.glob("*.wav"))[0]
    damaged.write_bytes(damaged.read_bytes()[:100])
    assert main(["batch", str(sweep_path), "--out", str(out), "--resume", "--workers", "1"]) == 0
    assert _files(out) == _files(tmp_path / "whole")


def test_failed_run_is_recorded_and_the_others_go_on(tmp_path, capsys):
    # A full scale of 0.01 Pa: the cracking run would clip, so it fails; the weak pull
    # does not crack, its silence fits.
    text = SMALL.replace("[45.0, 70.0]", "[20.0, 70.0]").replace(
        "noise_rms_pa = 0.001", "full_scale = 0.01")
    sweep_path = _write(tmp_path, text)
    assert main(["batch", str(sweep_path), "--out", str(tmp_path / "o"), "--workers", "1"]) == 1
    rows = (tmp_path / "o" / "manifest.csv").read_text().splitlines()[1:]
    statuses = [row.split(",")[2] for row in rows]
    assert statuses == ["ok", "ok", "failed", "failed"]
    assert "ClippingError: the signal peaks at" in rows[2]
    assert "2 of 4 runs failed" in capsys.readouterr().err
    assert not (tmp_path / "o" / "k_02_70N.wav").exists()


@pytest.mark.parametrize(
    "change, message",
    [
        (("preset", "presets"), r"unknown key 'presets'; valid keys: audio, grid, license, name"),
        (('"knuckle"', '"elbow"'), r"preset: unknown preset 'elbow'; valid choices: knuckle"),
        (('"loading.peak_force_n" =', '"loading.peak" ='),
         r"\[grid\] loading.peak: unknown parameter 'loading.peak'; valid names:"),
        (("[45.0, 70.0]", "[45.0, 7000.0]"),
         r"\[grid\] loading.peak_force_n: loading.peak_force_n = 7000.0 N is out of range;"
         r" valid range: \[0, 5000\] N"),
        (("[45.0, 70.0]", '["45 N", 70.0]'),
         r"\[grid\] loading.peak_force_n: '45 N' is not a number \(values are plain SI"),
        (("[0.02, 0.05]", "[0.05, 0.02]"), r"\[random.log_uniform\] mass_kg: \[0.05, 0.02\]"
                                           r" is not a range"),
        (("pad_before_s = 0.01", "samplerate_hz = 11025"),
         r"\[audio\]: samplerate_hz = 11025 Hz is not available"),
        (("pad_before_s = 0.01", "format = 'mp3'"), r"\[audio\]: format 'mp3' is not one of"),
        (("after_crack_s = 0.01", "model = 'gilmore'"),
         r"\[simulation\]: unknown bubble model 'gilmore'; valid choices: keller_miksis"),
        (("after_crack_s = 0.01", "model = 'rayleigh_plesset'"),
         r"\[simulation\] model: the equation of a spherical cavity; it has no effect with"
         r" geometry 'confined' \(geometry = 'sphere'\)"),
        (("after_crack_s = 0.01", "geometry = 'disc'"),
         r"\[simulation\]: unknown geometry 'disc'"),
        (("{loading_peak_force_n:.0f}N", "{force}"), r"name: unknown field \{force\}"),
        (('name = "k_{run:02d}_{loading_peak_force_n:.0f}N"', 'name = "k"'),
         r"gives the same file name to several runs"),
        (("count = 2", "count = 2\ncolour = 3"), r"\[random\]: unknown key 'colour'"),
        (("[grid]", "[grid"), r"not valid TOML"),
        (("seed = 11", 'seed = 11\n[set]\n"mass_kg" = "30 g"'),
         r"\[set\] mass_kg: '30 g' is not a number"),
        (("[0.02, 0.05]", "[0.02, 50.0]"),
         r"\[random.log_uniform\] mass_kg: Joint.mass_kg = 50.0 kg is out of range"),
        (("after_crack_s = 0.01", "after_crack_s = -1"),
         r"\[simulation\]: after_crack_s = -1.0 s is out of range"),
        (("{loading_peak_force_n:.0f}N", "{mass_kg:d}"), r"name: .* is not a valid template"),
        (("k_{run:02d}", "../k_{run:02d}"), r"a file name must be plain"),
        (("k_{run:02d}", "k_{run:0>300000000}"), r"a format too wide for a file name"),
        (("k_{run:02d}", "k_{mass_kg:0.300000000f}"), r"a format too wide for a file name"),
        (("k_{run:02d}", "k_{run.__class__}"), r"a name template holds plain fields only"),
        (("k_{run:02d}", "k_{run!r}"), r"a name template holds plain fields only"),
        (("k_{run:02d}", "k_\u2028{run:02d}"), r"no path separators or control characters"),
        (("k_{run:02d}", "=HYPERLINK{run:02d}"), r"not starting with '.', '=', '\+'"),
        (("count = 2", "count = 600000"), r"the sweep has 1200000 runs"),
        (("count = 2\n", ""), None),
        (("pad_before_s = 0.01", "figures = ['png', 'png']"), r"names a format twice"),
    ],
)
def test_bad_sweep_is_one_error_naming_the_place(tmp_path, capsys, change, message):
    if message is None:  # a count left out: one draw, valid
        assert len(batch.load_sweep(_write(tmp_path, SMALL.replace(*change))).runs) == 2
        return
    path = _write(tmp_path, SMALL.replace(*change))
    with pytest.raises(batch.SweepError, match=message):
        batch.load_sweep(path)
    assert main(["batch", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cavitation batch: error: ")
    assert not (tmp_path / "o").exists()


def test_dry_run_prints_the_count_and_writes_nothing(tmp_path, capsys):
    path = _write(tmp_path, SMALL)
    assert main(["batch", str(path), "--out", str(tmp_path / "o"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 runs of preset 'knuckle'" in out and "k_00_45N" in out
    assert not (tmp_path / "o").exists()


def test_existing_batch_folder_is_refused_without_resume(tmp_path, capsys):
    path = _write(tmp_path, SMALL)
    out = tmp_path / "o"
    out.mkdir()
    (out / "k_00_45N.wav").write_bytes(b"mine")
    assert main(["batch", str(path), "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "k_00_45N.wav").read_bytes() == b"mine"


def test_a_run_made_under_other_simulation_defaults_is_not_taken_as_finished(
        tmp_path, monkeypatch):
    # resume keeps a run only if its key matches: the key holds the options as applied,
    # so a run rendered under an earlier default grid or tolerance is rendered again.
    render_module = sys.modules["cavitation.render"]  # cavitation.render is the function
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    run_ = sweep.runs[0]
    key = batch.run_key(sweep, run_)
    monkeypatch.setattr(render_module, "OVERSAMPLING", 8)
    assert batch.run_key(sweep, run_) != key
    monkeypatch.undo()
    monkeypatch.setattr(render_module, "HEARING_RTOL", 1e-8)
    assert batch.run_key(sweep, run_) != key
    monkeypatch.undo()
    assert batch.run_key(sweep, run_) == key


def test_only_a_runs_own_files_or_a_manifest_count_as_an_earlier_batch(tmp_path):
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    out = tmp_path / "o"
    out.mkdir()
    for unrelated in ("notes.txt", "k_00_45N_old.wav", "k_00_45", ".k_00_45N.wav.x.part"):
        (out / unrelated).write_bytes(b"")
    batch._refuse_existing(sweep, out, False)  # none of these is NAME.* of a run
    for earlier in ("k_00_45N.json", "k_00_45N.take.2.wav", batch.MANIFEST):
        (out / earlier).write_bytes(b"")
        with pytest.raises(batch.OutputExistsError, match=earlier.replace(".", r"\.")):
            batch._refuse_existing(sweep, out, False)
        (out / earlier).unlink()


def test_run_names_are_compared_as_text_not_as_glob_patterns(tmp_path):
    sweep = batch.parse_sweep({"preset": "knuckle", "name": "k[{run}]",
                               "random": {"count": 1, "uniform": {"mass_kg": [0.02, 0.05]}}})
    assert sweep.runs[0].name == "k[0]"
    (tmp_path / "k0.wav").write_bytes(b"")  # what the pattern k[0].* would match
    batch._refuse_existing(sweep, tmp_path, False)
    (tmp_path / "k[0].wav").write_bytes(b"")
    with pytest.raises(batch.OutputExistsError, match=r"k\[0\]\.wav"):
        batch._refuse_existing(sweep, tmp_path, False)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_dask_cluster_gives_the_same_files_as_local_processes(tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    batch.run(sweep, tmp_path / "local", workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        summary = batch.run(sweep, tmp_path / "dask", executor=client.get_executor())
    assert summary.failed == 0
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")


@pytest.mark.parametrize(("ignored", "outcome"), [(False, "KeyboardInterrupt"),
                                                  (True, "returned")])
def test_an_interrupt_during_the_shutdown_reaches_the_callers_handler(ignored, outcome):
    # The pool's shutdown takes Ctrl-C to stop its workers, then hands the signal on:
    # Python's own handler raises KeyboardInterrupt; a caller that ignores SIGINT (a
    # background job) still ignores it, and its handlers are back as they were.
    program = f"""
import os, signal, time
from cavitation import batch
class Pool:
    _processes = {{}}
    def shutdown(self, wait, cancel_futures):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
if {ignored}:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
try:
    batch._shut_down(Pool())
    print("returned", end=" ")
except KeyboardInterrupt:
    print("KeyboardInterrupt", end=" ")
print((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == [outcome, "True"]


@pytest.mark.parametrize(("workers", "message"), [
    (-1, r"workers = -1 is out of range; valid range: \[1, 4096\]"),
    (1.5, r"workers = 1.5 is not a whole number"),
])
def test_bad_workers_are_refused_before_the_folder_is_made(tmp_path, workers, message):
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    with pytest.raises(ValueError, match=message):
        batch.run(sweep, tmp_path / "o", workers=workers)
    assert not (tmp_path / "o").exists()


def test_a_sweep_can_render_the_spherical_cavity(tmp_path):
    # As render --geometry sphere does; a sweep could render the confined cavity only.
    text = SMALL.replace("after_crack_s = 0.01", "after_crack_s = 0.01\ngeometry = 'sphere'"
                         "\nmodel = 'rayleigh_plesset'")
    sphere = batch.run(batch.load_sweep(_write(tmp_path, text)), tmp_path / "s", workers=1)
    confined = batch.run(batch.load_sweep(_write(tmp_path, SMALL)), tmp_path / "c", workers=1)
    assert sphere.failed == confined.failed == 0
    rows = {row["simulation.geometry"] for row in batch.results(tmp_path / "s")}
    assert rows == {"sphere"}
    sounds = [{p.name: p.read_bytes() for p in (tmp_path / kind).glob("*.wav")}
              for kind in ("s", "c")]
    assert sounds[0].keys() == sounds[1].keys() and len(sounds[0]) == 4
    assert all(sounds[0][name] != sounds[1][name] for name in sounds[0])


def test_count_without_ranges_and_dotted_keys(tmp_path):
    with pytest.raises(batch.SweepError, match=r"\[random\] count: a count needs ranges"):
        batch.parse_sweep({"preset": "knuckle", "random": {"count": 3}})
    with pytest.raises(batch.SweepError, match=r"<sweep>: grid must be a table"):
        batch.parse_sweep({"preset": "knuckle", "grid": 3})
    # Unquoted dotted keys are TOML tables; they mean the same parameter.
    sweep = batch.load_sweep(_write(tmp_path, SMALL.replace(
        "[grid]", "[set]\nfluid.viscosity_pa_s = 0.05\n[grid]")))
    assert sweep.fixed == {"fluid.viscosity_pa_s": 0.05}


@pytest.mark.parametrize(("sig", "method"), [(signal.SIGINT, "fork"), (signal.SIGTERM, "fork"),
                                           (signal.SIGTERM, "spawn"),
                                           (signal.SIGINT, "forkserver")])
def test_interrupted_pool_stops_cleanly_and_resumes_to_the_same_files(tmp_path, sig, method):
    # A figure per run makes a run take tenths of a second, so the signal lands while
    # the pool works (bare runs take milliseconds: the batch would be over). Under
    # every start method: Linux's fork, macOS's and Windows' spawn, and forkserver
    # (Linux's default from Python 3.14).
    sweep_path = _write(tmp_path, SMALL + 'figures = ["png"]\n')
    batch.run(batch.load_sweep(sweep_path), tmp_path / "whole", workers=1)
    out = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "cavitation", "batch", str(sweep_path),
                             "--out", str(out), "--workers", "2", "--start-method", method],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, 0)  # 0 if the last runs were already finishing
    if proc.returncode == 130:
        assert "interrupted; every file written is whole. --resume finishes it." in err
    # No worker (nor a fork server) outlives the batch: its process group is empty.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"processes of the {method} batch outlived it")
    assert main(["batch", str(sweep_path), "--out", str(out), "--resume"]) == 0
    assert _files(out) == _files(tmp_path / "whole")


def test_a_second_interrupt_during_the_shutdown_stops_the_batch_at_once(tmp_path):
    # The first Ctrl-C lets the runs at work finish; a second one, pressed while they
    # do, landed inside the pool's shutdown, which left the workers untold to stop: the
    # program said "interrupted" and then waited for them at exit, for ever (it did in
    # 3 tries out of 3, gaps of 0.05 to 0.5 s). Now it stops them and exits with 130.
    sweep_path = _write(tmp_path, SMALL.replace("count = 2", "count = 10")
                        + 'figures = ["png"]\n')
    out = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "cavitation", "batch", str(sweep_path),
                             "--out", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)  # while the runs at work finish (a run takes 0.2-0.3 s)
        proc.send_signal(signal.SIGINT)
        # A hang is what failed: the whole batch takes a few seconds.
        _, err = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert "interrupted; every file written is whole. --resume finishes it." in err
    # What a stopped worker was writing is staged under hidden names; --resume clears it.
    assert main(["batch", str(sweep_path), "--out", str(out), "--resume"]) == 0
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_every_start_method_gives_the_same_files(tmp_path, method):
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    batch.run(sweep, tmp_path / "fork", workers=2, start_method="fork")
    summary = batch.run(sweep, tmp_path / method, workers=2, start_method=method)
    assert summary.failed == 0 and summary.rendered == 4
    assert _files(tmp_path / method) == _files(tmp_path / "fork")
    with pytest.raises(ValueError, match=r"unknown start_method 'thread'; valid choices: fork,"):
        batch.run(sweep, tmp_path / "x", workers=2, start_method="thread")


def test_resume_re_renders_runs_of_a_changed_sweep(tmp_path):
    first = batch.load_sweep(_write(tmp_path, SMALL))
    batch.run(first, tmp_path / "o", workers=1)
    changed = batch.load_sweep(_write(tmp_path, SMALL.replace("seed = 11", "seed = 11\n"
                                                              "[set]\n'fluid.viscosity_pa_s'"
                                                              " = 0.05"), "changed.toml"))
    summary = batch.run(changed, tmp_path / "o", workers=1, resume=True)
    assert summary.skipped == 0 and summary.rendered == 4


def test_resume_restores_a_missing_figure(tmp_path):
    text = SMALL.replace("pad_before_s = 0.01", "pad_before_s = 0.01\nfigures = ['png']")
    sweep = batch.load_sweep(_write(tmp_path, text))
    batch.run(sweep, tmp_path / "o", workers=1)
    (tmp_path / "o" / "k_01_45N.png").unlink()
    summary = batch.run(sweep, tmp_path / "o", workers=1, resume=True)
    assert summary.rendered == 1 and (tmp_path / "o" / "k_01_45N.png").exists()


def test_any_failure_of_a_run_is_recorded(tmp_path, monkeypatch):
    real = batch.simulate

    def flaky(joint, loading, **options):
        if loading.peak_force_n > 50.0:
            raise TypeError("a bug in one run")
        return real(joint, loading, **options)

    monkeypatch.setattr(batch, "simulate", flaky)
    sweep = batch.load_sweep(_write(tmp_path, SMALL))
    summary = batch.run(sweep, tmp_path / "o", workers=1)
    rows = (tmp_path / "o" / "manifest.csv").read_text()
    assert summary.failed == 2 and "TypeError: a bug in one run" in rows


def test_a_run_whose_parameters_are_refused_is_recorded_failed(tmp_path):
    # parse_sweep checks every run; a run built by hand with a value out of range is
    # still a failed row (without the parameters it could not make), not an error.
    import dataclasses

    sweep = batch.loads_sweep('preset = "knuckle"\n[grid]\nmass_kg = [0.01]\n')
    bad = dataclasses.replace(sweep.runs[0], swept={"mass_kg": -1.0})
    row = batch.render_run(sweep, bad, str(tmp_path))
    assert row["status"] == "failed" and "mass_kg = -1.0 kg is out of range" in row["error"]
    assert "capsule.compliance_m3_pa" not in row
    good = batch.render_run(sweep, sweep.runs[0], str(tmp_path))
    assert good["status"] == "ok" and good["mass_kg"] == 0.01
    assert "capsule.compliance_m3_pa" in good


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_scheduler_option_runs_on_a_dask_cluster_with_a_relative_folder(tmp_path,
                                                                         monkeypatch):
    distributed = pytest.importorskip("distributed")
    sweep_path = _write(tmp_path, SMALL)
    batch.run(batch.load_sweep(sweep_path), tmp_path / "local", workers=1)
    monkeypatch.chdir(tmp_path)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        code = main(["batch", "sweep.toml", "--out", "rel", "--scheduler",
                     cluster.scheduler_address])
    assert code == 0
    assert _files(tmp_path / "rel") == _files(tmp_path / "local")


def test_unreachable_scheduler_is_named(tmp_path, capsys):
    sweep_path = _write(tmp_path, SMALL)
    code = main(["batch", str(sweep_path), "--out", str(tmp_path / "o"), "--scheduler",
                 "tcp://127.0.0.1:9"])
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:9: cannot connect" in capsys.readouterr().err


def _drawn_sweep(tmp_path: Path, count: int) -> batch.Sweep:
    """The small sweep with ``count`` random draws and no grid."""
    text = SMALL.replace('[grid]\n"loading.peak_force_n" = [45.0, 70.0]\n', "").replace(
        "count = 2", f"count = {count}").replace("_{loading_peak_force_n:.0f}N", "")
    return batch.load_sweep(_write(tmp_path, text))


def test_runs_finished_before_a_worker_died_are_reported_whole(tmp_path, monkeypatch):
    # The pool's workers are forked from this process, so they run this wrapper: the
    # worker that renders run 5 writes its files, then dies with the rest of its chunk.
    sweep = _drawn_sweep(tmp_path, 32)
    real = batch.render_run

    def dies_after_run_5(sweep_, run_, out):
        row = real(sweep_, run_, out)
        if run_.run_id == 5:
            os._exit(1)
        return row

    monkeypatch.setattr(batch, "render_run", dies_after_run_5)
    summary = batch.run(sweep, tmp_path / "o", workers=2)
    rows = {r["run_id"]: r for r in batch.results(tmp_path / "o")}
    assert rows[5]["status"] == "ok"  # its files were whole when the worker died
    # The runs its death orphaned went to a new pool: the batch ends complete.
    assert summary.failed == 0 and all(r["status"] == "ok" for r in rows.values())
    assert len(rows) == 32


def test_a_run_that_kills_its_worker_twice_is_recorded_failed(tmp_path, monkeypatch):
    sweep = _drawn_sweep(tmp_path, 8)
    real = batch.render_run

    def run_3_always_dies(sweep_, run_, out):
        if run_.run_id == 3:
            os._exit(1)
        return real(sweep_, run_, out)

    monkeypatch.setattr(batch, "render_run", run_3_always_dies)
    summary = batch.run(sweep, tmp_path / "o", workers=2)
    rows = {r["run_id"]: r for r in batch.results(tmp_path / "o")}
    assert summary.failed == 1 and rows[3]["status"] == "failed"
    assert rows[3]["error"].startswith("its worker died in two attempts (BrokenProcessPool")
    assert all(rows[i]["status"] == "ok" for i in rows if i != 3)


def test_a_worker_left_alive_after_shutdown_is_stopped():
    # Python waits at exit for every worker still alive: one that was never told to
    # stop would hang the command for ever.
    import multiprocessing

    worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    worker.start()
    batch._stop_leftovers([worker])
    assert not worker.is_alive() and worker.exitcode is not None


def test_a_killing_run_costs_few_pools_and_the_others_render(tmp_path, monkeypatch):
    # One run that always kills its worker, among 40: it is isolated by halving, not by
    # running every other run in a pool of its own.
    sweep = _drawn_sweep(tmp_path, 40)
    real, pools = batch.render_run, []
    real_pass = batch._pool_pass

    def counting_pass(*args, **kwargs):
        pools.append(len(args[1]))
        return real_pass(*args, **kwargs)

    def run_17_always_dies(sweep_, run_, out):
        if run_.run_id == 17:
            os._exit(1)
        return real(sweep_, run_, out)

    monkeypatch.setattr(batch, "render_run", run_17_always_dies)
    monkeypatch.setattr(batch, "_pool_pass", counting_pass)
    summary = batch.run(sweep, tmp_path / "o", workers=2)
    assert summary.failed == 1 and len(batch.results(tmp_path / "o")) == 40
    assert len(pools) <= 2 + 2 * 6  # the first pass, then about 2 log2(40) retries


def test_a_sweep_nested_too_deeply_is_one_error(tmp_path, capsys):
    path = _write(tmp_path, "x = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["batch", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nested too deeply" in err


def test_manifest_text_a_spreadsheet_would_run_is_quoted():
    assert batch._cell("=cmd()") == "'=cmd()" and batch._cell("@x") == "'@x"
    assert batch._cell("k_0001") == "k_0001" and batch._cell(3) == 3


PACK = """
preset = "knuckle"
seed = 5
license = "CC-BY-4.0"
[vary]
count = 6
[simulation]
after_crack_s = 0.01
[audio]
level = "loudness"
samplerate_hz = 16000
pad_before_s = 0.01
pad_after_s = 0.01
"""


def test_vary_draws_people_the_same_whatever_their_number():
    six = batch.loads_sweep(PACK).runs
    three = batch.loads_sweep(PACK.replace("count = 6", "count = 3")).runs
    assert [r.swept for r in six[:3]] == [r.swept for r in three]
    # Every person differs in every varied quantity, and each value is in its range
    # (parse_sweep configured every run).
    varied = {"area_m2", "stiffness_n_m", "rest_gap_m", "capsule.fluid_volume_m3",
              "body.depth_m", "nucleation.pressure_pa", "loading.peak_force_n"}
    assert set(six[0].swept) == varied
    for name in varied:
        assert len({r.swept[name] for r in six}) == 6, name
    # No spread, no variation: every person is the preset (but the clamped nucleation).
    still = batch.loads_sweep(PACK.replace(
        "count = 6", "count = 2\narea_cv = 0\nstiffness_cv = 0\nrest_gap_cv = 0\n"
                     "fluid_volume_cv = 0\ndepth_cv = 0\nnucleation_cv = 0\n"
                     "thrust_force_cv = 0")).runs
    assert still[0].swept == still[1].swept


@pytest.mark.parametrize(("text", "message"), [
    (PACK.replace("count = 6", "count = 6\n[random]\nuniform = { mass_kg = [0.02, 0.05] }"),
     r"\[vary\]: \[vary\] and \[random\] both draw values; use one"),
    (PACK.replace("count = 6", "count = 6\nspread = 2"),
     r"\[vary\]: unknown key 'spread'; valid keys: area_cv, count,"),
    (PACK.replace("count = 6", "count = 6\nshare_cv = 0.2"),
     r"\[vary\]: unknown key 'share_cv'"),
    (PACK.replace("count = 6", "area_cv = 0.1"), r"missing key 'count'"),
    (PACK.replace("count = 6", "count = 6\narea_cv = 2.0"),
     r"pack.toml: \[vary\]: area_cv = 2.0 is out of range; valid range: \[0, 0.5\]"),
    (PACK.replace('"CC-BY-4.0"', '"my licence; rm"'), r"not an SPDX licence identifier"),
])
def test_a_bad_vary_table_is_one_error_naming_the_place(text, message):
    with pytest.raises(batch.SweepError, match=message):
        batch.loads_sweep(text, "pack.toml")


def test_a_batch_folder_is_a_dataset(tmp_path):
    sweep = batch.loads_sweep(PACK, "pack.toml")
    out = tmp_path / "pack"
    summary = batch.run(sweep, out, workers=1)
    assert summary.failed == 0
    # The sweep is copied; the manifest is flat and complete: every parameter, setting
    # and figure in one row per file; metadata.csv lists the files for a loader.
    assert (out / "sweep.toml").read_text() == PACK
    import pandas

    frame = batch.results(out, as_frame=True)
    assert len(frame) == 6 and frame["status"].eq("ok").all()
    for column in ("mass_kg", "capsule.compliance_m3_pa", "loading.ramp_time_s",
                   "simulation.rtol", "listener.air_distance_m", "audio.level",
                   "audio.loudness_lufs", "audio.gain_db", "gap_jump_m", "max_radius_m",
                   "spectral_centroid_hz", "nucleation.pressure_pa"):
        assert column in frame.columns, column
    cracked = frame[frame["cracked"]]
    assert len(cracked) >= 5
    assert np.allclose(cracked["audio.loudness_lufs"], -35.0, atol=1e-6)
    from_csv = pandas.read_csv(out / "manifest.csv")
    assert list(from_csv.columns) == list(frame.columns)
    metadata = pandas.read_csv(out / "metadata.csv")
    assert list(metadata["file_name"]) == list(cracked["audio_file"])  # no silent file
    assert all((out / name).exists() for name in metadata["file_name"])
    assert "status" not in metadata.columns and "error" not in metadata.columns
    # The README says what is in it, its licence, and how to make it again.
    card = (out / "README.md").read_text()
    assert "Licence of the sounds and tables: CC-BY-4.0." in card
    assert "cavitation batch sweep.toml --out remade" in card
    assert "| `capsule.compliance_m3_pa` | m^3/Pa |" in card
    assert "| `audio.loudness_lufs` | LUFS | integrated loudness" in card
    # And it is made again byte for byte from its own copy of the sweep.
    again = batch.run(batch.load_sweep(out / "sweep.toml"), tmp_path / "again", workers=1)
    assert again.failed == 0 and _files(tmp_path / "again") == _files(out)


@pytest.mark.parametrize("mine", ["README.md", "contact_sheet.png"])
def test_a_users_own_readme_is_never_replaced(tmp_path, mine):
    out = tmp_path / "mine"
    out.mkdir()
    (out / mine).write_text("my notes")
    with pytest.raises(batch.OutputExistsError, match=rf"{mine}, not written by a batch"):
        batch.run(batch.loads_sweep(PACK), out, workers=1, resume=True)
    assert (out / mine).read_text() == "my notes"


def test_a_readme_added_to_a_finished_batch_is_kept_on_resume(tmp_path):
    # A batch folder (a manifest) where the user has since written their own README:
    # only a README that a batch wrote (its first line says so) is replaced.
    out = tmp_path / "o"
    batch.run(batch.loads_sweep(PACK), out, workers=1)
    assert (out / "README.md").read_text().startswith(batch.CARD_MARK)
    (out / "README.md").write_text("my notes on this set")
    with pytest.raises(batch.OutputExistsError, match=r"README.md that no batch wrote"):
        batch.run(batch.loads_sweep(PACK), out, workers=1, resume=True)
    assert (out / "README.md").read_text() == "my notes on this set"


def test_people_on_a_grid_are_labelled_by_person_and_grid_point(tmp_path):
    text = (PACK.replace("count = 6", "count = 2")
            + '[grid]\n"loading.peak_force_n" = [45.0, 70.0]\n')
    sweep = batch.loads_sweep(text)
    assert [(r.person, r.point) for r in sweep.runs] == [
        (0, {"loading.peak_force_n": 45.0}), (1, {"loading.peak_force_n": 45.0}),
        (0, {"loading.peak_force_n": 70.0}), (1, {"loading.peak_force_n": 70.0})]
    batch.run(sweep, tmp_path / "o", workers=1)
    rows = batch.results(tmp_path / "o")
    assert [r["person"] for r in rows] == [0, 1, 0, 1]
    assert [r["grid.loading.peak_force_n"] for r in rows] == [45.0, 45.0, 70.0, 70.0]
    # The drawn force varies about the grid's: person 0 pulls 70/45 as hard at 70 N.
    assert rows[2]["loading.peak_force_n"] / rows[0]["loading.peak_force_n"] == \
        pytest.approx(70.0 / 45.0)
