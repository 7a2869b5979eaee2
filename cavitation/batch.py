"""Crack sounds in bulk: a sweep file becomes a folder of audio files and a manifest.

A sweep (a TOML file, read with ``tomllib``) names a preset, fixed changes, the axes to
sweep as a grid and/or drawn at random, the simulation and audio settings, and a
file-name template. :func:`load_sweep` checks all of it, every run's parameters
included, before anything runs. :func:`run` renders every run through the same
functions as ``cavitation render`` (:func:`cavitation.render.hear`,
:func:`cavitation.render.save`) on any ``concurrent.futures.Executor``: local
processes, or a Dask cluster's executor. Each run's files appear whole or not at all;
the JSON beside each audio file records the audio's SHA-256, so ``resume`` can tell a
finished run from an interrupted one. ``manifest.csv`` lists every run.

Example sweep::

    preset = "knuckle"
    name = "knuckle_{run:04d}"       # fields: run, preset, and the swept names
    seed = 7                          # random draws and each run's noise

    [set]                             # fixed changes, as cavitation render --set
    "fluid.viscosity_pa_s" = 0.03

    [grid]                            # every combination of these lists
    "capsule.compliance_m3_pa" = [1e-13, 2e-13]

    [random]                          # count draws, combined with every grid point
    count = 3
    uniform = { "nucleation.pressure_pa" = [-2e5, -5e4] }
    log_uniform = { "mass_kg" = [0.02, 0.05] }

    [simulation]                      # cavitation.simulate options
    after_crack_s = 0.04

    [audio]                           # listener and file settings
    listener = "air"
    samplerate_hz = 48000
    format = "wav"
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import itertools
import json
import math
import os
import string
import tomllib
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import audio, listener
from .bubble import MODELS
from .io import SUBTYPES, OutputExistsError, OutputSet, check_format, to_json
from .parameters import check_range
from .presets import PRESETS, configure, get_preset, parameter_values
from .radiation import FORMS, SOURCES
from .render import AudioSettings, hear, save
from .simulation import simulate

__all__ = ["BatchSummary", "Run", "Sweep", "SweepError", "load_sweep", "parse_sweep", "run"]

MANIFEST = "manifest.csv"
"""Name of the manifest in the output folder."""

TOP_KEYS = {"preset", "name", "seed", "set", "grid", "random", "simulation", "audio"}
RANDOM_KEYS = {"count", "uniform", "log_uniform"}
SIMULATION_KEYS = {"model": str, "source": str, "radiation_form": str, "distance_m": float,
                   "after_crack_s": float, "output_step_s": float, "rtol": float}
AUDIO_KEYS = {"listener": str, "samplerate_hz": int, "format": str, "subtype": str,
              "level": str, "full_scale_pa": float, "noise_rms_pa": float,
              "air_distance_m": float, "pad_before_s": float, "pad_after_s": float,
              "figures": list}
FEATURES = ("peak_spl_db", "dominant_frequency_hz", "spectral_centroid_hz", "duration_s",
            "pop_count", "pop_duration_s")


class SweepError(ValueError):
    """A sweep file that cannot run: the message says where and what is valid."""


@dataclass(frozen=True)
class Run:
    """One run of a sweep.

    Attributes
    ----------
    run_id : int
        Position in the sweep, from 0.
    name : str
        File stem.
    swept : dict
        The swept parameters' values, by name (SI units).
    seed : int
        Seed of this run's noise.
    """

    run_id: int
    name: str
    swept: dict[str, float]
    seed: int


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: everything needed to render every run.

    Attributes
    ----------
    preset : str
        Preset name.
    fixed : dict
        Fixed parameter changes.
    runs : tuple of Run
        Every run, in order.
    simulation : dict
        Options of :func:`cavitation.simulate`.
    audio : dict
        Listener and file settings.
    source : str
        Where the sweep came from, for messages.
    """

    preset: str
    fixed: dict[str, Any]
    runs: tuple[Run, ...]
    simulation: dict[str, Any] = field(default_factory=dict)
    audio: dict[str, Any] = field(default_factory=dict)
    source: str = "<sweep>"


def _fail(where: str, message: str) -> SweepError:
    return SweepError(f"{where}: {message}")


def _check_keys(table: Mapping[str, Any], allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(where, f"unknown key {key!r}; valid keys: {', '.join(sorted(allowed))}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"{value!r} is not a number (values are plain SI numbers, the"
                    " unit is in the parameter's name)")
    return float(value)


def _typed(value: Any, kind: type, where: str) -> Any:
    if kind is float:
        return _number(value, where)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _fail(where, f"{value!r} is not a whole number")
    if kind in (str, list) and not isinstance(value, kind):
        raise _fail(where, f"{value!r} is not a {kind.__name__}")
    return value


def _template_fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _field_name(parameter: str) -> str:
    """A parameter's name as a template field: dots become underscores."""
    return parameter.replace(".", "_")


def parse_sweep(data: Mapping[str, Any], source: str = "<sweep>") -> Sweep:
    """Check a sweep given as a mapping (the parsed TOML) and expand its runs.

    Raises
    ------
    SweepError
        Naming the place in the file (``file: [table] key``) and what is valid.
    """
    _check_keys(data, TOP_KEYS, source)
    if "preset" not in data:
        raise _fail(source, f"missing key 'preset'; valid presets: {', '.join(PRESETS)}")
    try:
        preset = get_preset(data["preset"])
    except ValueError as err:
        raise _fail(f"{source}: preset", str(err)) from None
    template = _typed(data.get("name", f"{preset.name}_{{run:04d}}"), str, f"{source}: name")
    seed = _typed(data.get("seed", 0), int, f"{source}: seed")
    check_range(f"{source}: seed", seed, "1", 0, 2**63 - 1)

    fixed = dict(data.get("set", {}))
    grid = dict(data.get("grid", {}))
    random_table = dict(data.get("random", {}))
    _check_keys(random_table, RANDOM_KEYS, f"{source}: [random]")
    uniform = dict(random_table.get("uniform", {}))
    log_uniform = dict(random_table.get("log_uniform", {}))
    count = _typed(random_table.get("count", 1 if (uniform or log_uniform) else 0), int,
                   f"{source}: [random] count")
    if (uniform or log_uniform) and not 1 <= count <= 1_000_000:
        raise _fail(f"{source}: [random] count", f"{count} is out of range; valid: 1-1000000")

    try:
        configure(preset, {name: _number(v, f"{source}: [set] {name}")
                           if not isinstance(v, str) else v for name, v in fixed.items()})
    except SweepError:
        raise
    except ValueError as err:
        raise _fail(f"{source}: [set]", str(err)) from None
    valid_names = parameter_values(preset)

    def check_name(name: str, where: str) -> None:
        if name not in valid_names:
            raise _fail(where, f"unknown parameter {name!r}; valid names:"
                        f" {', '.join(valid_names)}")

    axes: dict[str, list[float]] = {}
    for name, values in grid.items():
        where = f"{source}: [grid] {name}"
        check_name(name, where)
        if not isinstance(values, list) or not values:
            raise _fail(where, "a grid axis is a non-empty list of numbers")
        axes[name] = [_number(v, where) for v in values]
    ranges: dict[str, tuple[float, float, bool]] = {}
    for table, log in ((uniform, False), (log_uniform, True)):
        kind = "log_uniform" if log else "uniform"
        for name, bounds in table.items():
            where = f"{source}: [random.{kind}] {name}"
            check_name(name, where)
            if not (isinstance(bounds, list) and len(bounds) == 2):
                raise _fail(where, "a range is [low, high]")
            low, high = (_number(b, where) for b in bounds)
            if not low < high or (log and low <= 0):
                raise _fail(where, f"[{low:g}, {high:g}] is not a range; low < high"
                            + (" and low > 0 for log_uniform" if log else ""))
            if name in axes or name in ranges:
                raise _fail(where, "swept twice")
            ranges[name] = (low, high, log)
    for name in fixed:
        if name in axes or name in ranges:
            raise _fail(f"{source}: [set] {name}", "both fixed and swept")

    simulation = dict(data.get("simulation", {}))
    _check_keys(simulation, SIMULATION_KEYS, f"{source}: [simulation]")
    for key, value in simulation.items():
        simulation[key] = _typed(value, SIMULATION_KEYS[key], f"{source}: [simulation] {key}")
    choices = {"model": MODELS, "source": SOURCES, "radiation_form": FORMS}
    for key, valid in choices.items():
        if key in simulation and simulation[key] not in valid:
            raise _fail(f"{source}: [simulation] {key}",
                        f"{simulation[key]!r} is not one of {', '.join(valid)}")
    audio_settings = _check_audio(dict(data.get("audio", {})), source)

    rng = np.random.default_rng(seed)
    draws = [{name: float(math.exp(rng.uniform(math.log(lo), math.log(hi))) if log
                          else rng.uniform(lo, hi))
              for name, (lo, hi, log) in ranges.items()} for _ in range(count)] or [{}]
    points = [dict(zip(axes, combo, strict=True))
              for combo in itertools.product(*axes.values())] or [{}]
    swept_names = [*axes, *ranges]
    allowed_fields = {"run", "preset", *(_field_name(n) for n in swept_names)}
    for f in _template_fields(template):
        if f.split("!")[0].split(".")[0] not in allowed_fields:
            raise _fail(f"{source}: name", f"unknown field {{{f}}} in {template!r}; valid"
                        f" fields: {', '.join(sorted(allowed_fields))}")
    runs = []
    for run_id, (point, draw) in enumerate(itertools.product(points, draws)):
        swept = point | draw
        try:
            configure(preset, fixed | swept)
        except ValueError as err:
            where = ", ".join(f"{k}={v:g}" for k, v in swept.items())
            raise _fail(f"{source}: run {run_id} ({where})", str(err)) from None
        fields = {"run": run_id, "preset": preset.name,
                  **{_field_name(k): v for k, v in swept.items()}}
        runs.append(Run(run_id, template.format(**fields), swept, seed + run_id))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise _fail(f"{source}: name", f"{template!r} gives the same file name to several"
                    " runs; include {run}")
    return Sweep(preset.name, fixed, tuple(runs), simulation, audio_settings, source)


def _check_audio(settings: dict[str, Any], source: str) -> dict[str, Any]:
    _check_keys(settings, AUDIO_KEYS, f"{source}: [audio]")
    for key, value in settings.items():
        settings[key] = _typed(value, AUDIO_KEYS[key], f"{source}: [audio] {key}")
    where = f"{source}: [audio]"
    try:
        if settings.get("listener", "air") not in listener.LISTENERS:
            raise ValueError(f"listener {settings['listener']!r} is not one of"
                             f" {', '.join(listener.LISTENERS)}")
        audio.check_samplerate(settings.get("samplerate_hz", 48000))
        if settings.get("level", "calibrated") not in audio.LEVELS:
            raise ValueError(f"level {settings['level']!r} is not one of"
                             f" {', '.join(audio.LEVELS)}")
        file_format = settings.get("format", "wav")
        if file_format not in SUBTYPES:
            raise ValueError(f"format {file_format!r} is not one of {', '.join(SUBTYPES)}")
        check_format(file_format, settings.get("subtype", "PCM_24"))
        AudioSettings.from_dict({k: settings[k] for k in
                                 ("noise_rms_pa", "air_distance_m", "pad_before_s",
                                  "pad_after_s") if k in settings})
        for kind in settings.get("figures", []):
            if kind not in ("png", "svg"):
                raise ValueError(f"figure format {kind!r} is not one of png, svg")
        if "full_scale_pa" in settings:
            check_range("full_scale_pa", settings["full_scale_pa"], "Pa", 0.0, 1e8,
                        low_open=True)
    except ValueError as err:
        raise _fail(where, str(err)) from None
    return settings


def load_sweep(path: str | os.PathLike) -> Sweep:
    """Read and check a sweep file (TOML); see :func:`parse_sweep`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except tomllib.TOMLDecodeError as err:
        raise SweepError(f"{path}: not valid TOML: {err}") from None
    return parse_sweep(data, str(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _row(run: Run, status: str, error: str = "", meta: Mapping[str, Any] | None = None,
         audio_file: str = "", sha256: str = "") -> dict[str, Any]:
    meta = meta or {}
    features = meta.get("features", {})
    return {"run_id": run.run_id, "name": run.name, "status": status, "error": error,
            "audio_file": audio_file, "audio_sha256": sha256,
            **{k: run.swept[k] for k in sorted(run.swept)},
            "cracked": meta.get("cracked", ""), "crack_time_s": meta.get("crack_time_s", ""),
            **{k: features.get(k, "") for k in FEATURES}}


def render_run(sweep: Sweep, run_: Run, out: str) -> dict[str, Any]:
    """Render one run and write its files; a failure is returned as a row, not raised."""
    settings = sweep.audio
    file_format = settings.get("format", "wav")
    audio_name = f"{run_.name}.{file_format}"
    try:
        preset = get_preset(sweep.preset)
        joint, loading = configure(preset, sweep.fixed | run_.swept)
        crack = simulate(joint, loading, **sweep.simulation)
        audio_settings = AudioSettings.from_dict(
            {k: settings[k] for k in ("noise_rms_pa", "air_distance_m", "pad_before_s",
                                      "pad_after_s") if k in settings})
        rendering = hear([crack], ("center",), (joint.name,),
                         listener_kind=settings.get("listener", "air"),
                         samplerate_hz=settings.get("samplerate_hz", 48000),
                         level=settings.get("level", "calibrated"),
                         full_scale_pa=settings.get("full_scale_pa"), seed=run_.seed,
                         settings=audio_settings)
        save(rendering, out, run_.name, file_format=file_format,
             subtype=settings.get("subtype", "PCM_24"),
             figures=tuple(settings.get("figures", ())), preset=sweep.preset,
             overwrite=True, record_audio_hash=True,
             extra={"run_id": run_.run_id, "swept": run_.swept})
    except (ValueError, RuntimeError, ArithmeticError) as err:
        return _row(run_, "failed", f"{type(err).__name__}: {err}")
    meta = json.loads((Path(out) / f"{run_.name}.json").read_text(encoding="utf-8"))
    return _row(run_, "ok", meta=meta, audio_file=audio_name, sha256=meta["audio_sha256"])


def completed_row(sweep: Sweep, run_: Run, out: Path) -> dict[str, Any] | None:
    """The manifest row of a run whose files are complete and verified, else ``None``."""
    audio_name = f"{run_.name}.{sweep.audio.get('format', 'wav')}"
    audio_path, json_path = out / audio_name, out / f"{run_.name}.json"
    if not (audio_path.exists() and json_path.exists()):
        return None
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    recorded = meta.get("audio_sha256")
    if not recorded or recorded != _sha256(audio_path) or meta.get("run_id") != run_.run_id:
        return None
    return _row(run_, "ok", meta=meta, audio_file=audio_name, sha256=recorded)


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did.

    Attributes
    ----------
    total : int
        Runs in the sweep.
    rendered : int
        Runs rendered now.
    skipped : int
        Runs already complete (``resume``).
    failed : int
        Runs that failed (recorded in the manifest).
    manifest : Path
        The manifest written.
    """

    total: int
    rendered: int
    skipped: int
    failed: int
    manifest: Path


class _InProcess(Executor):
    """Runs each task at once in this process: one worker without a pool."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # delivered through the future, as a pool would
            future.set_exception(err)
        return future


def _progress(futures: list[Future], total: int, initial: int, enabled: bool) -> Iterator:
    from tqdm import tqdm

    with tqdm(total=total, initial=initial, unit="run", disable=not enabled,
              dynamic_ncols=True, desc="rendering") as bar:
        for future in as_completed(futures):
            yield future
            bar.update(1)


def write_manifest(rows: list[dict[str, Any]], out: Path, swept: list[str]) -> Path:
    """Write ``manifest.csv`` atomically, one row per run in run order."""
    columns = ["run_id", "name", "status", "error", "audio_file", "audio_sha256",
               *sorted(swept), "cracked", "crack_time_s", *FEATURES]
    buffer = _io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["run_id"]):
        writer.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v)
                         for k, v in to_json(row).items()})
    path = out / MANIFEST
    with OutputSet([path], overwrite=True) as outputs:
        outputs.stage(path).write_text(buffer.getvalue(), encoding="utf-8")
    return path


def run(sweep: Sweep, out: str | os.PathLike, *, executor: Executor | None = None,
        workers: int | None = None, resume: bool = False, progress: bool = False
        ) -> BatchSummary:
    """Render every run of ``sweep`` into ``out`` and write ``manifest.csv``.

    Parameters
    ----------
    sweep : Sweep
        From :func:`load_sweep` or :func:`parse_sweep`.
    out : path-like
        Output folder, created if needed.
    executor : concurrent.futures.Executor, optional
        Where the runs execute (a ``ProcessPoolExecutor``, a Dask client's
        ``get_executor()``, ...). By default a process pool of ``workers``.
    workers : int, optional
        Processes of the default pool; all cores by default; 1 runs in this process.
    resume : bool, optional
        Skip runs whose files are complete and verified (the audio's SHA-256 matches
        the one its JSON records); without it, a folder that already holds this
        batch's files is refused.
    progress : bool, optional
        Show a progress bar (count, rate, ETA) on stderr.

    Returns
    -------
    BatchSummary
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.part"):  # temporary files of an interrupted run
        stale.unlink()
    rows: list[dict[str, Any]] = []
    todo: list[Run] = []
    for run_ in sweep.runs:
        done = completed_row(sweep, run_, out) if resume else None
        if done is not None:
            rows.append(done)
            continue
        if not resume:
            existing = [p.name for p in out.glob(f"{run_.name}.*")]
            if existing or (out / MANIFEST).exists():
                raise OutputExistsError(f"{out} already holds files of this batch"
                                      f" ({', '.join(existing[:3]) or MANIFEST}); resume"
                                      " (--resume) to finish it, or choose another folder")
        todo.append(run_)
    skipped = len(rows)
    workers = workers or os.cpu_count() or 1
    own = executor is None
    if own:
        executor = _InProcess() if workers == 1 else ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [executor.submit(render_run, sweep, run_, str(out)) for run_ in todo]
        for future in _progress(futures, len(sweep.runs), skipped, progress):
            rows.append(future.result())
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    swept = sorted({k for r in sweep.runs for k in r.swept})
    manifest = write_manifest(rows, out, swept)
    failed = sum(1 for r in rows if r["status"] != "ok")
    return BatchSummary(len(sweep.runs), len(todo), skipped, failed, manifest)
