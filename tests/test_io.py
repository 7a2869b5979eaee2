"""Files: audio read back as written, atomic sets, nothing lost, nothing half-written."""

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from cavitation import io
from cavitation.audio import ClippingError

TONE = 0.5 * np.sin(2 * np.pi * 440 * np.arange(4800) / 48000)


@pytest.mark.parametrize("file_format, subtype", [("wav", "PCM_16"), ("wav", "PCM_24"),
                                                  ("wav", "FLOAT"), ("flac", "PCM_16"),
                                                  ("flac", "PCM_24")])
def test_audio_reads_back_with_rate_subtype_and_length(tmp_path, file_format, subtype):
    path = tmp_path / f"tone.{file_format}"
    io.write_audio(path, TONE, 48000, file_format=file_format, subtype=subtype)
    samples, rate, read_subtype = io.read_audio(path)
    assert rate == 48000 and read_subtype == subtype and samples.shape == TONE.shape
    # Quantisation: half a step of 16-bit PCM is 1.5e-5.
    np.testing.assert_allclose(samples, TONE, atol=2 ** -15)


def test_stereo_is_two_channels(tmp_path):
    path = tmp_path / "stereo.wav"
    io.write_audio(path, np.column_stack([TONE, -TONE]), 48000)
    samples, _, _ = io.read_audio(path)
    assert samples.shape == (TONE.size, 2)


def test_flac_cannot_hold_float_samples(tmp_path):
    with pytest.raises(ValueError, match=r"unknown subtype for flac 'FLOAT'; valid choices: "
                                         r"PCM_16, PCM_24"):
        io.write_audio(tmp_path / "x.flac", TONE, 48000, file_format="flac", subtype="FLOAT")


def test_samples_beyond_full_scale_are_refused_not_clipped(tmp_path):
    with pytest.raises(ClippingError, match=r"peak at 1\.5, above digital full scale"):
        io.write_audio(tmp_path / "loud.wav", 3 * TONE, 48000)
    assert not (tmp_path / "loud.wav").exists()


def test_nan_samples_are_refused(tmp_path):
    with pytest.raises(ValueError, match="NaN"):
        io.write_audio(tmp_path / "nan.wav", np.array([0.0, np.nan]), 48000)


def test_json_has_no_nan_and_lists_for_arrays(tmp_path):
    path = tmp_path / "m.json"
    io.write_json(path, {"a": float("nan"), "b": np.arange(3), "c": np.float64(2.5)})
    assert json.loads(path.read_text()) == {"a": None, "b": [0, 1, 2], "c": 2.5}


def test_output_set_appears_whole(tmp_path):
    finals = [tmp_path / "a.txt", tmp_path / "b.txt"]
    with io.OutputSet(finals) as outputs:
        for final in finals:
            outputs.stage(final).write_text(final.name)
        assert not any(f.exists() for f in finals)  # nothing final until the end
    assert [f.read_text() for f in finals] == ["a.txt", "b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_output_set_leaves_nothing_after_an_error(tmp_path):
    finals = [tmp_path / "a.txt", tmp_path / "b.txt"]
    with pytest.raises(RuntimeError, match="boom"), io.OutputSet(finals) as outputs:
        outputs.stage(finals[0]).write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_files_are_refused_and_kept(tmp_path):
    kept = tmp_path / "a.txt"
    kept.write_text("precious")
    with pytest.raises(FileExistsError, match=r"a\.txt already exist"):
        io.OutputSet([kept, tmp_path / "b.txt"])
    assert kept.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with io.OutputSet([kept], overwrite=True) as outputs:
        outputs.stage(kept).write_text("new")
    assert kept.read_text() == "new"


def test_a_folder_in_a_files_way_is_refused_before_anything_is_written(tmp_path):
    # A folder where the set's last file goes: the first files were renamed into place,
    # then the last rename failed, and the set stood half written, with its staged
    # files left behind. Now it is refused up front, with or without overwrite.
    finals = [tmp_path / "a.wav", tmp_path / "a.json"]
    finals[1].mkdir()
    for overwrite in (False, True):
        with pytest.raises(io.FolderInTheWayError, match=r"a\.json: a folder where a file"):
            io.OutputSet(finals, overwrite=overwrite)
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_rename_that_fails_leaves_no_staged_file(tmp_path, monkeypatch):
    finals = [tmp_path / "a.txt", tmp_path / "b.txt"]
    replace = os.replace

    def fails_on_b(source, target):
        if Path(target).name == "b.txt":
            raise PermissionError(13, "Permission denied")
        replace(source, target)

    monkeypatch.setattr(io.os, "replace", fails_on_b)
    with pytest.raises(PermissionError), io.OutputSet(finals) as outputs:
        for final in finals:
            outputs.stage(final).write_text(final.name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no .part file


def test_only_staging_files_of_dead_writers_are_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    host = io._HOST
    stale = tmp_path / f".a.wav.{host}.{dead_pid}.x1y2z3w4.part"
    live = tmp_path / f".b.wav.{host}.{os.getpid()}.x1y2z3w4.part"  # a batch still writing
    elsewhere = tmp_path / f".c.wav.other-host.{dead_pid}.x1y2z3w4.part"  # shared folder
    mine = [tmp_path / ".notes.part", tmp_path / ".mix.2024050.v2.part",
            tmp_path / f".take.{host}.3000000000.x.part"]  # a user's own files
    for path in (stale, live, elsewhere, *mine):
        path.write_bytes(b"")
    assert io.remove_stale_parts(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (live, elsewhere, *mine))


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="Linux's /proc")
def test_a_zombie_writer_is_not_alive(tmp_path):
    # A batch's workers killed by kill -9 stay zombies for a second or two, and a
    # --resume started then kept their staged files in the finished dataset.
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])  # not waited for: a zombie
    pid = child.pid
    try:
        deadline = time.monotonic() + 30
        while "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        staged = tmp_path / f".a.wav.{io._HOST}.{pid}.x1y2z3w4.part"
        staged.write_bytes(b"")
        assert io.remove_stale_parts(tmp_path) == [staged]
        assert io._alive(os.getpid())
    finally:
        child.wait()


def test_staging_files_carry_their_writers_pid(tmp_path):
    with io.OutputSet([tmp_path / "a.txt"]) as outputs:
        staged = outputs.stage(tmp_path / "a.txt")
        assert staged.name.startswith(f".a.txt.{io._HOST}.{os.getpid()}.")
        staged.write_text("x")
    assert (tmp_path / "a.txt").read_text() == "x"
