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
    geometry = "confined"             # or "sphere", with its model

    [audio]                           # listener and file settings
    listener = "air"
    samplerate_hz = 48000
    format = "wav"
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io as _io
import itertools
import json
import math
import os
import re
import signal
import string
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import audio, listener
from .io import (
    MAX_NAME_LENGTH,
    SUBTYPES,
    OutputExistsError,
    OutputSet,
    check_format,
    is_plain_name,
    remove_stale_parts,
    to_json,
)
from .joint import Joint, Loading
from .parameters import Parameters, check_choice, check_count, check_range, describe
from .population import Variation, vary_joint
from .presets import PRESETS, configure, get_preset, parameter_values, settable_values
from .render import FIGURE_FORMATS, AudioSettings, hear, hearing_options, save
from .simulation import check_options, simulate

__all__ = ["BatchSummary", "Run", "Sweep", "SweepError", "load_sweep", "loads_sweep",
           "pack_sweep", "parse_sweep", "results", "run", "spread", "write_dataset"]

MANIFEST = "manifest.csv"
"""Name of the manifest in the output folder."""
#: The folder's other dataset files: the rendered files' table for a dataset loader
#: (Hugging Face ``audiofolder``: a ``file_name`` column), the manifest as Parquet
#: (where pyarrow is installed), the sweep, and the dataset's README.
METADATA, PARQUET, SWEEP_COPY, CARD = "metadata.csv", "manifest.parquet", "sweep.toml", \
    "README.md"
#: The waveforms of ``cavitation pack --listen``.
CONTACT_SHEET = "contact_sheet.png"
#: The first line of the README a batch writes: a README without it is the user's.
CARD_MARK = "<!-- written by cavitation batch: replaced when the batch is resumed -->"
#: Most runs in one sweep: a sweep is checked before its runs are made.
MAX_RUNS = 1_000_000
#: Deepest nesting of a sweep's tables (``[set]``, ``[grid]``...).
MAX_DEPTH = 4

SAMPLERATE_HZ = 48000
"""Audio sample rate [Hz] of a sweep whose ``[audio]`` table names none."""

TOP_KEYS = {"preset", "name", "seed", "license", "set", "grid", "random", "vary", "simulation",
            "audio"}
RANDOM_KEYS = {"count", "uniform", "log_uniform"}
SIMULATION_KEYS = {"geometry": str, "model": str, "source": str, "radiation_form": str,
                   "distance_m": float, "after_crack_s": float, "output_step_s": float,
                   "rtol": float}
AUDIO_KEYS = {"listener": str, "samplerate_hz": int, "format": str, "subtype": str,
              "level": str, "full_scale": float, "noise_rms_pa": float, "noise_rms_m_s2": float,
              "air_distance_m": float, "pad_before_s": float, "pad_after_s": float,
              "target_loudness_lufs": float, "trim_db": float, "channels": int,
              "figures": list}
FEATURES = ("peak_level_db", "dominant_frequency_hz", "spectral_centroid_hz", "duration_s",
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
    person : int or None
        With ``[vary]``: which person (from 0), the same at every grid point.
    point : dict
        The grid point's values, by name, before a person varied them.
    """

    run_id: int
    name: str
    swept: dict[str, float]
    seed: int
    person: int | None = None
    point: dict[str, float] = field(default_factory=dict)


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
    text : str
        The sweep file's text, copied into the output folder (``sweep.toml``); empty
        for a sweep given as a mapping.
    license : str
        Licence of the sounds, for the dataset's README (SPDX identifier).
    """

    preset: str
    fixed: dict[str, Any]
    runs: tuple[Run, ...]
    simulation: dict[str, Any] = field(default_factory=dict)
    audio: dict[str, Any] = field(default_factory=dict)
    source: str = "<sweep>"
    text: str = ""
    license: str = "CC0-1.0"

    @property
    def samplerate_hz(self) -> int:
        """Audio sample rate [Hz]: the ``[audio]`` table's, or ``SAMPLERATE_HZ``."""
        return self.audio.get("samplerate_hz", SAMPLERATE_HZ)


def _fail(where: str, message: str) -> SweepError:
    return SweepError(f"{where}: {message}")


def _check_keys(table: Mapping[str, Any], allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(where, f"unknown key {key!r}; valid keys: {', '.join(sorted(allowed))}")


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    """``data[key]`` as a table with dotted keys (``a.b = 1`` and ``"a.b" = 1`` alike)."""
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _fail(where, f"{key} must be a table ([{key}] or {key} = {{...}}), not"
                    f" {value!r}")

    def flatten(table: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for name, item in table.items():
            if isinstance(item, Mapping):
                if prefix.count(".") >= MAX_DEPTH:
                    raise _fail(where, f"[{key}] {prefix}{name} is nested deeper than"
                                f" {MAX_DEPTH} levels; parameter names have at most two")
                yield from flatten(item, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}", item

    return dict(flatten(value, ""))


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


def _field_name(parameter: str) -> str:
    """A parameter's name as a template field: dots become underscores."""
    return parameter.replace(".", "_")


def _configure(preset, changes: Mapping[str, Any], where: str) -> None:
    try:
        configure(preset, changes)
    except ValueError as err:
        raise _fail(where, str(err)) from None


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
    license_ = _typed(data.get("license", "CC0-1.0"), str, f"{source}: license")
    if not re.fullmatch(r"[A-Za-z0-9.+-]{1,64}", license_):
        raise _fail(f"{source}: license", f"{license_!r} is not an SPDX licence identifier"
                    " (such as CC0-1.0 or CC-BY-4.0)")
    try:
        check_range("seed", seed, "1", 0, 2**63 - 1)
    except ValueError as err:
        raise _fail(source, str(err)) from None

    valid_names = parameter_values(preset)

    def check_name(name: str, where: str) -> None:
        if name not in valid_names:
            raise _fail(where, f"unknown parameter {name!r}; valid names:"
                        f" {', '.join(valid_names)}")

    fixed = _table(data, "set", source)
    for name, value in fixed.items():
        where = f"{source}: [set] {name}"
        check_name(name, where)
        if not isinstance(valid_names[name], str):
            fixed[name] = _number(value, where)
        elif not isinstance(value, str):
            raise _fail(where, f"{value!r} is not a string")
    _configure(preset, fixed, f"{source}: [set]")

    axes: dict[str, list[float]] = {}
    for name, values in _table(data, "grid", source).items():
        where = f"{source}: [grid] {name}"
        check_name(name, where)
        if not isinstance(values, list) or not values:
            raise _fail(where, "a grid axis is a non-empty list of numbers")
        axes[name] = [_number(v, where) for v in values]
        for value in axes[name]:
            _configure(preset, fixed | {name: value}, where)

    random_table = data.get("random", {})
    if not isinstance(random_table, Mapping):
        raise _fail(source, f"random must be a table, not {random_table!r}")
    _check_keys(random_table, RANDOM_KEYS, f"{source}: [random]")
    ranges: dict[str, tuple[float, float, bool]] = {}
    for kind, log in (("uniform", False), ("log_uniform", True)):
        for name, bounds in _table(random_table, kind, f"{source}: [random]").items():
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
            for end in (low, high):  # every draw then lies in the valid range
                _configure(preset, fixed | {name: end}, where)
            ranges[name] = (low, high, log)
    if "count" in random_table and not ranges:
        raise _fail(f"{source}: [random] count", "a count needs ranges to draw from"
                    " (uniform or log_uniform)")
    count = _typed(random_table.get("count", 1), int, f"{source}: [random] count")
    if not 1 <= count <= MAX_RUNS:
        raise _fail(f"{source}: [random] count", f"{count} is out of range; valid:"
                    f" 1-{MAX_RUNS}")
    grid_runs = math.prod(len(values) for values in axes.values())
    if grid_runs * count > MAX_RUNS:  # before a draw or a grid point is made
        raise _fail(source, f"the sweep has {grid_runs * count} runs ([grid] combinations x"
                    f" [random] count); at most {MAX_RUNS}: split it into several sweeps")
    for name in fixed:
        if name in axes or name in ranges:
            raise _fail(f"{source}: [set] {name}", "both fixed and swept")
    people, variation = _vary(data, source)
    if people and ranges:
        raise _fail(f"{source}: [vary]", "[vary] and [random] both draw values; use one")
    if grid_runs * people > MAX_RUNS:
        raise _fail(source, f"the sweep has {grid_runs * people} runs ([grid] combinations x"
                    f" [vary] count); at most {MAX_RUNS}: split it into several sweeps")

    simulation = _table(data, "simulation", source)
    _check_keys(simulation, SIMULATION_KEYS, f"{source}: [simulation]")
    for key, value in simulation.items():
        simulation[key] = _typed(value, SIMULATION_KEYS[key], f"{source}: [simulation] {key}")
    try:
        check_options(**simulation)
    except ValueError as err:
        raise _fail(f"{source}: [simulation]", str(err)) from None
    geometry = simulation.get("geometry", "confined")
    if "model" in simulation and geometry != "sphere":
        raise _fail(f"{source}: [simulation] model", "the equation of a spherical cavity;"
                    f" it has no effect with geometry {geometry!r} (geometry = 'sphere')")
    audio_settings = _check_audio(_table(data, "audio", source), source)

    rng = np.random.default_rng(seed)
    draws = [{name: float(math.exp(rng.uniform(math.log(lo), math.log(hi))) if log
                          else rng.uniform(lo, hi))
              for name, (lo, hi, log) in ranges.items()} for _ in range(count)] \
        if ranges else [{}]
    points = [dict(zip(axes, combo, strict=True))
              for combo in itertools.product(*axes.values())] or [{}]
    combos: list[tuple[dict[str, float], dict[str, float], int | None]]
    if people:  # each grid point's people: the same person i at every point
        combos = [(point, person, index) for point in points
                  for index, person in enumerate(
                      vary_joint(*configure(preset, fixed | point), people, seed=seed,
                                 variation=variation))]
    else:
        combos = [(point, draw, None) for point, draw in itertools.product(points, draws)]
    # The template's fields are the same for every run: checked once, not per run.
    _check_template(template, dict.fromkeys(["run", "preset", *map(_field_name, axes),
                                             *map(_field_name, ranges),
                                             *(["person"] if people else [])]),
                    f"{source}: name")
    runs = []
    for run_id, (point, draw, person) in enumerate(combos):
        swept = point | draw
        try:
            configure(preset, fixed | swept)
        except ValueError as err:
            where = ", ".join(f"{k}={v:g}" for k, v in swept.items())
            raise _fail(f"{source}: run {run_id} ({where})", str(err)) from None
        fields = {"run": run_id, "preset": preset.name,
                  **({} if person is None else {"person": person}),
                  **{_field_name(k): v for k, v in (point if people else swept).items()}}
        runs.append(Run(run_id, _file_name(template, fields, source), swept, seed + run_id,
                        person, point))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise _fail(f"{source}: name", f"{template!r} gives the same file name to several"
                    " runs; include {run}")
    return Sweep(preset.name, fixed, tuple(runs), simulation, audio_settings, source,
                 license=license_)


#: Spreads of :class:`~cavitation.population.Variation` that concern several joints, not
#: one: refused in ``[vary]``, where they would do nothing.
NOT_FOR_ONE_JOINT = ("share_cv", "left_right_correlation")


def _vary(data: Mapping[str, Any], source: str) -> tuple[int, Variation | None]:
    """The ``[vary]`` table: how many people (0 without it) and their spreads."""
    if "vary" not in data:
        return 0, None
    table = _table(data, "vary", source)
    where = f"{source}: [vary]"
    spreads = {f.name for f in dataclasses.fields(Variation)} - set(NOT_FOR_ONE_JOINT)
    _check_keys(table, {"count", *spreads}, where)
    if "count" not in table:
        raise _fail(where, "missing key 'count': how many people to draw")
    count = _typed(table.pop("count"), int, f"{where} count")
    if not 1 <= count <= MAX_RUNS:
        raise _fail(f"{where} count", f"{count} is out of range; valid: 1-{MAX_RUNS}")
    try:
        variation = Variation(**{k: _number(v, f"{where} {k}") for k, v in table.items()})
    except SweepError:
        raise
    except ValueError as err:
        raise _fail(where, str(err).removeprefix("Variation.")) from None
    return count, variation


def _check_template(template: str, fields: Mapping[str, Any], where: str) -> None:
    """Only plain fields (``{run}``, ``{run:04d}``), no attributes, items or conversions,
    and no widths that would make a name longer than a file name can be."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        raise _fail(where, f"{template!r} is not a valid template: {err}") from None
    for _, key_name, spec, conversion in parts:
        if key_name is None:
            continue
        if not key_name.isidentifier() or conversion is not None:
            raise _fail(where, f"{{{key_name}{'!' + conversion if conversion else ''}}} in"
                        f" {template!r}: a name template holds plain fields only; valid"
                        f" fields: {', '.join(sorted(fields))}")
        numbers = [int(n) for n in re.findall(r"\d+", spec or "")]  # fill, width, precision
        if "{" in (spec or "") or any(n > MAX_NAME_LENGTH for n in numbers):
            raise _fail(where, f"{{{key_name}:{spec}}} in {template!r}: a format too wide for a"
                        f" file name (at most {MAX_NAME_LENGTH} characters)")


def _file_name(template: str, fields: Mapping[str, Any], source: str) -> str:
    """One run's file stem from the template (checked by :func:`_check_template`); only
    a plain name inside the folder."""
    where = f"{source}: name"
    try:
        name = template.format(**fields)
    except KeyError as err:
        raise _fail(where, f"unknown field {{{err.args[0]}}} in {template!r}; valid fields:"
                    f" {', '.join(sorted(fields))}") from None
    except (ValueError, IndexError) as err:
        raise _fail(where, f"{template!r} is not a valid template: {err}") from None
    if not is_plain_name(name):
        raise _fail(where, f"{template!r} gives {name[:60]!r}: a file name must be plain (no"
                    " path separators or control characters, not empty, not starting with"
                    f" '.', '=', '+', '-' or '@', at most {MAX_NAME_LENGTH} characters)")
    return name


def _audio_settings(settings: Mapping[str, Any]) -> AudioSettings:
    """The ``[audio]`` keys that are :class:`AudioSettings` fields, as one (checked)."""
    fields = {f.name for f in dataclasses.fields(AudioSettings)}
    return AudioSettings.from_dict({k: v for k, v in settings.items() if k in fields})


def _check_audio(settings: dict[str, Any], source: str) -> dict[str, Any]:
    _check_keys(settings, AUDIO_KEYS, f"{source}: [audio]")
    for key, value in settings.items():
        settings[key] = _typed(value, AUDIO_KEYS[key], f"{source}: [audio] {key}")
    where = f"{source}: [audio]"
    try:
        if settings.get("listener", "air") not in listener.LISTENERS:
            raise ValueError(f"listener {settings['listener']!r} is not one of"
                             f" {', '.join(listener.LISTENERS)}")
        audio.check_samplerate(settings.get("samplerate_hz", SAMPLERATE_HZ))
        if settings.get("level", "calibrated") not in audio.LEVELS:
            raise ValueError(f"level {settings['level']!r} is not one of"
                             f" {', '.join(audio.LEVELS)}")
        file_format = settings.get("format", "wav")
        if file_format not in SUBTYPES:
            raise ValueError(f"format {file_format!r} is not one of {', '.join(SUBTYPES)}")
        check_format(file_format, settings.get("subtype", "PCM_24"))
        _audio_settings(settings).noise_rms(settings.get("listener", "air"))
        figures = settings.get("figures", [])
        for kind in figures:
            if kind not in FIGURE_FORMATS:
                raise ValueError(f"figure format {kind!r} is not one of"
                                 f" {', '.join(FIGURE_FORMATS)}")
        if len(set(figures)) != len(figures):
            raise ValueError(f"figures {figures!r} names a format twice")
        if "full_scale" in settings:
            unit = listener.UNITS[settings.get("listener", "air")]
            check_range("full_scale", settings["full_scale"], unit, 0.0, 1e8, low_open=True)
    except ValueError as err:
        raise _fail(where, str(err)) from None
    return settings


def _toml_value(value: Any) -> str:
    """A plain value as TOML: a string (JSON's escapes are TOML's), a number, a bool."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    raise ValueError(f"{value!r} cannot be written to a sweep")


def pack_sweep(preset: str, count: int, *, seed: int = 0,
               audio: Mapping[str, Any] | None = None, license: str = "CC0-1.0",
               variation: Mapping[str, float] | None = None) -> Sweep:
    """A sweep of ``count`` people about ``preset`` (a ``[vary]`` table), as
    ``cavitation pack`` makes it; its text is the TOML that makes it again.

    Parameters
    ----------
    preset : str
        Preset name.
    count : int
        How many sounds, each a person drawn by :func:`cavitation.population.vary_joint`.
    seed : int, optional
        Seed of the people and of each run's noise.
    audio : mapping, optional
        The ``[audio]`` table (listener, sample rate, format, level...).
    license : str, optional
        SPDX identifier of the sounds' licence, for the dataset's README.
    variation : mapping, optional
        Spreads other than :class:`cavitation.population.Variation`'s defaults.

    Raises
    ------
    SweepError
        On any bad value, naming it.
    """
    get_preset(preset)  # an unknown preset or a count out of range: said plainly first
    count = int(check_range("count", count, "1", 1, MAX_RUNS))
    width = max(4, len(str(count - 1)))
    lines = [f"preset = {_toml_value(preset)}", f"seed = {_toml_value(seed)}",
             f"license = {_toml_value(license)}",
             f"name = {_toml_value(f'{preset}_{{person:0{width}d}}')}", "", "[vary]",
             f"count = {_toml_value(count)}",
             *(f"{key} = {_toml_value(value)}" for key, value in (variation or {}).items()),
             "", "[audio]",
             *(f"{key} = {_toml_value(value)}" for key, value in (audio or {}).items())]
    return loads_sweep("\n".join(lines) + "\n", "pack")


def load_sweep(path: str | os.PathLike) -> Sweep:
    """Read and check a sweep file (TOML); see :func:`parse_sweep`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except (UnicodeDecodeError, IsADirectoryError) as err:
        raise SweepError(f"{path}: not a UTF-8 text file ({type(err).__name__})") from None
    return loads_sweep(text, str(path))


def loads_sweep(text: str, source: str = "<sweep>") -> Sweep:
    """Check a sweep given as TOML text; see :func:`parse_sweep`. The text is kept
    (``Sweep.text``), to be copied beside the sounds."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SweepError(f"{source}: not valid TOML: {err}") from None
    except RecursionError:
        raise SweepError(f"{source}: nested too deeply to read; a sweep's tables nest"
                         f" {MAX_DEPTH} deep at most") from None
    return dataclasses.replace(parse_sweep(data, source), text=text)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_key(sweep: Sweep, run_: Run) -> str:
    """SHA-256 of everything that makes a run's files: a resumed run must match it."""
    from . import __version__

    # The simulation options as applied, defaults included: a run made under other
    # defaults (an earlier render grid or tolerance) is not taken as finished.
    definition = {"version": __version__, "preset": sweep.preset, "fixed": sweep.fixed,
                  "swept": run_.swept, "seed": run_.seed, "name": run_.name,
                  "simulation": _simulation_options(sweep), "audio": sweep.audio}
    text = json.dumps(to_json(definition), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _flat(table: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """A nested table as one level of ``prefix.name`` keys; lists as JSON text."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = json.dumps(value) if isinstance(value, list | tuple) \
                else value
    return flat


def _row(sweep: Sweep, run_: Run, status: str, error: str = "",
         meta: Mapping[str, Any] | None = None, audio_file: str = "",
         sha256: str = "", configured: tuple[Joint, Loading] | None = None) -> dict[str, Any]:
    """A run's manifest row, flat: the run, its swept values, the crack and its sound
    (:data:`FEATURES`), then every other parameter (``--set`` names), the simulation's,
    listener's and audio's settings (``simulation.``, ``listener.``, ``audio.``), and
    every figure of the summary and the features. A failed run has its parameters and
    settings, and no figures; one whose parameters are refused, no parameters either.
    ``configured``: the run's joint and loading, if made already (:func:`_configured`)."""
    meta = meta or {}
    features, summary = meta.get("features", {}), meta.get("summary", {})
    if configured is None:
        try:
            configured = _configured(sweep, run_.swept)
        except Exception:  # a failed run's failure itself (a parameter out of range): no
            if status != "failed":  # parameters in its row, and the row all the same
                raise
    parameters = settable_values(*configured) if configured is not None else {}
    settings = meta.get("parameters", {})
    heard = settings.get("listener") or {"kind": sweep.audio.get("listener", "air"),
                                         **_audio_settings(sweep.audio).as_dict()}
    sound = {"samplerate_hz": sweep.samplerate_hz, "format": sweep.audio.get("format", "wav"),
             "subtype": sweep.audio.get("subtype", "PCM_24"),
             "level": sweep.audio.get("level", "calibrated"), "channels": meta.get("channels"),
             "start_s": meta.get("audio_start_s")} | settings.get("audio", {})
    row = {"run_id": run_.run_id, "name": run_.name, "status": status, "error": error,
           "audio_file": audio_file, "audio_sha256": sha256,
           **({} if run_.person is None else {"person": run_.person}),
           **({f"grid.{k}": run_.point[k] for k in sorted(run_.point)}
              if run_.person is not None else {}),
           **{k: run_.swept[k] for k in sorted(run_.swept)},
           "cracked": meta.get("cracked", ""), "crack_time_s": meta.get("crack_time_s", ""),
           **{k: features.get(k, "") for k in FEATURES}}
    rest = {**parameters, **_flat(settings.get("simulation") or _simulation_options(sweep),
                                  "simulation."),
            **_flat(heard, "listener."), **_flat(sound, "audio."),
            **_flat(summary, ""), **_flat(features, "")}
    return row | {k: v for k, v in rest.items() if k not in row}


def _warm_up(sweep: Sweep) -> None:
    """Render a short crack of the sweep's preset here, writing nothing: this process
    then holds the compiled code, the imports and the filter designs, and the forked
    workers inherit them instead of each loading them again (a second or so each)."""
    try:
        _rendering(sweep, _configured(sweep, {}), 0, after_crack_s=1e-3)
        from . import io  # noqa: F401  (soundfile, for the workers)
    except Exception:  # the runs themselves will report what is wrong
        pass


def _simulation_options(sweep: Sweep) -> dict[str, Any]:
    """The sweep's ``[simulation]`` options over a heard crack's defaults
    (:func:`cavitation.render.hearing_options` at the sweep's sample rate)."""
    return hearing_options(sweep.samplerate_hz) | sweep.simulation


def _configured(sweep: Sweep, swept: dict[str, float]) -> tuple[Joint, Loading]:
    """The sweep's preset's joint and loading, with its fixed and ``swept`` values."""
    return configure(get_preset(sweep.preset), sweep.fixed | swept)


def _rendering(sweep: Sweep, configured: tuple[Joint, Loading], seed: int,
               **simulation: float):
    """The ``configured`` joint and loading (:func:`_configured`), simulated (with
    ``simulation`` over the sweep's options) and heard as the sweep's ``[audio]`` says."""
    settings = sweep.audio
    joint, loading = configured
    crack = simulate(joint, loading, **(_simulation_options(sweep) | simulation))
    return hear([crack], ("center",), (joint.name,),
                listener_kind=settings.get("listener", "air"),
                samplerate_hz=sweep.samplerate_hz,
                level=settings.get("level", "calibrated"),
                full_scale=settings.get("full_scale"), seed=seed,
                settings=_audio_settings(settings))


def render_centre(sweep: Sweep) -> None:
    """Render the sweep's preset with its fixed changes only (a pack's median person),
    writing nothing; raises what its runs would raise for it (a loudness target above
    what the crack's true peak allows: ``ClippingError``)."""
    _rendering(sweep, _configured(sweep, {}), 0)


def _stop_leftovers(processes: list) -> None:
    """Terminate any of a pool's workers still alive after its shutdown.

    An interrupt that lands while the pool is starting can leave a worker that was
    never told to stop; Python would then wait for it at exit, forever. Its files are
    staged under temporary names, so stopping it loses nothing that was whole.
    """
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=2.0)
        if process.is_alive():  # it caught SIGTERM (a handler inherited from this process)
            process.kill()
            process.join()


#: Most runs sent to a worker at once.
MAX_CHUNK = 16


def render_runs(sweep: Sweep, runs: tuple[Run, ...], out: str) -> list[dict[str, Any]]:
    """Render several runs in turn (:func:`render_run`); one task of a worker."""
    return [render_run(sweep, run_, out) for run_ in runs]


def render_run(sweep: Sweep, run_: Run, out: str) -> dict[str, Any]:
    """Render one run and write its files; any failure is returned as a row, not raised."""
    settings = sweep.audio
    file_format = settings.get("format", "wav")
    audio_name = f"{run_.name}.{file_format}"
    configured = None
    try:
        configured = _configured(sweep, run_.swept)
        rendering = _rendering(sweep, configured, run_.seed)
        save(rendering, out, run_.name, file_format=file_format,
             subtype=settings.get("subtype", "PCM_24"),
             figures=tuple(settings.get("figures", ())), preset=sweep.preset,
             overwrite=True, record_audio_hash=True, json_indent=None,
             extra={"run_id": run_.run_id, "swept": run_.swept,
                    "run_key": run_key(sweep, run_)})
    except Exception as err:  # a run's failure, whatever it is, is recorded, not fatal
        return _row(sweep, run_, "failed", f"{type(err).__name__}: {err}",
                    configured=configured)
    meta = json.loads((Path(out) / f"{run_.name}.json").read_text(encoding="utf-8"))
    return _row(sweep, run_, "ok", meta=meta, audio_file=audio_name,
                sha256=meta["audio_sha256"], configured=configured)


def completed_row(sweep: Sweep, run_: Run, out: Path) -> dict[str, Any] | None:
    """The manifest row of a run whose files are complete and verified, else ``None``.

    Complete: the audio, its JSON and every figure asked for exist. Verified: the
    JSON belongs to this very run (``run_key``: same sweep definition, same package
    version) and the audio's SHA-256 is the one the JSON recorded.
    """
    audio_name = f"{run_.name}.{sweep.audio.get('format', 'wav')}"
    audio_path, json_path = out / audio_name, out / f"{run_.name}.json"
    figures = [out / f"{run_.name}.{kind}" for kind in sweep.audio.get("figures", ())]
    if not all(p.exists() for p in (audio_path, json_path, *figures)):
        return None
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    recorded = meta.get("audio_sha256")
    if (meta.get("run_key") != run_key(sweep, run_) or not recorded
            or recorded != _sha256(audio_path)):
        return None
    return _row(sweep, run_, "ok", meta=meta, audio_file=audio_name, sha256=recorded)


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
    elapsed_s : float
        Wall time of this call [s].
    """

    total: int
    rendered: int
    skipped: int
    failed: int
    manifest: Path
    elapsed_s: float = 0.0


def _preload_warm_up() -> None:
    """Have the fork server import :mod:`cavitation._warm` (a warm-up render) before it
    forks a worker, beside whatever it already preloads. The preload list is the whole
    process's: it takes effect only if the server has not started yet."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    current = list(getattr(server, "_preload_modules", None) or [])
    if "cavitation._warm" not in current:
        forkserver.set_forkserver_preload([*current, "cavitation._warm"])


def _worker_setup(warm: Sweep | None = None) -> None:
    """In each worker: leave Ctrl-C to the main process, and die with it (Linux); and,
    where the worker did not fork from the warmed main process (``spawn``,
    ``forkserver``), warm itself up on ``warm`` once (:func:`_warm_up`), rather than
    paying for the imports and the compiled code's loading in its first run. (A fork
    server's worker starts warm from :mod:`cavitation._warm`; this then costs it only
    the sweep's own filters, at its rate and listener, a few milliseconds.)

    A forked worker inherits the main process's handlers; SIGTERM goes back to its
    default, so that the parent-death signal really ends the worker.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: a killed parent may leave workers
        pass
    if warm is not None:
        _warm_up(warm)


def _bar(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", disable=not enabled,
                dynamic_ncols=True, desc="rendering")


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-`` or
    ``@`` (a formula to a spreadsheet) is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = _io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", restval="",
                            extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else repr(v) if isinstance(v, float)
                             else _cell(v)) for k, v in to_json(row).items()})
    return buffer.getvalue()


#: What a dataset's columns hold, for its README; parameters say it themselves.
COLUMN_DOCS = {
    "run_id": "position in the sweep, from 0",
    "person": "which person ([vary]), from 0: the same joint at every grid point",
    "name": "file stem", "status": "ok, or failed (see error)",
    "error": "why a run failed", "audio_file": "the sound, beside this table",
    "audio_sha256": "SHA-256 of the audio file",
    "file_name": "the sound, beside this table (a dataset loader's column)",
    "cracked": "whether the joint cracked (false: the pull never reached the nucleation"
               " pressure, and the file is silence)",
    "crack_time_s": "time of the crack after the pull began",
    "peak_level_db": "peak level at the listener, in audio.level_unit",
    "dominant_frequency_hz": "frequency of the spectrum's peak",
    "spectral_centroid_hz": "power-weighted mean frequency",
    "duration_s": "length of the sound at -20 dB of its peak envelope",
    "pop_count": "pops heard (envelope peaks 3 ms apart with a 6 dB dip between)",
    "pop_duration_s": "length of one pop at -20 dB",
    "audio.gain_db": "digital full scale per unit of the signal that the level applied [dB]",
    "audio.loudness_lufs": "integrated loudness of the file (ITU-R BS.1770; a clip under"
                           " 400 ms measured as one 400 ms block); empty below -70 LUFS",
    "audio.true_peak_dbtp": "true peak of the file, 4 times oversampled",
}


def _unit_of(column: str) -> str:
    """The unit a column's name carries (``_m3_pa`` -> m^3/Pa), or ``""``."""
    units = {"_m3_pa": "m^3/Pa", "_pa_s_m3": "Pa s/m^3", "_pa_s": "Pa s", "_n_m": "N/m",
             "_m3": "m^3", "_m2": "m^2", "_m_s2": "m/s^2", "_m_s": "m/s", "_kg_m3": "kg/m^3",
             "_hz": "Hz", "_db": "dB", "_dbtp": "dBTP", "_lufs": "LUFS", "_mol": "mol",
             "_pa": "Pa", "_kg": "kg", "_k": "K", "_n": "N", "_m": "m", "_s": "s"}
    return next((unit for suffix, unit in units.items() if column.endswith(suffix)), "")


def _card(sweep: Sweep, rows: list[dict[str, Any]], columns: list[str]) -> str:
    """The dataset's README: what it is, how it was made and remade, its columns."""
    from . import __version__

    preset = get_preset(sweep.preset)
    docs = {row.name: (row.unit, row.doc) for row in describe(preset.joint)}
    if isinstance(preset.loading, Parameters):
        docs |= {f"loading.{row.name}": (row.unit, row.doc)
                 for row in describe(preset.loading)}
    docs |= {f"listener.{row.name}": (row.unit, row.doc) for row in describe(AudioSettings())}
    ok = sum(1 for row in rows if row["status"] == "ok")
    cracked = sum(1 for row in rows if row.get("cracked") is True)
    heard = sweep.audio.get("listener", "air")
    lines = [
        CARD_MARK, f"# {preset.name}: {len(rows)} simulated joint cracks", "",
        f"Synthetic sounds of a synovial joint cracking ({preset.description}), made by"
        f" cavitation {__version__}: each a physical simulation of a cavity that forms,"
        f" grows and collapses as the joint is pulled open, heard by the {heard} listener"
        f" at {sweep.samplerate_hz} Hz. {ok} runs rendered ({cracked} cracked; a pull"
        " that does not crack gives silence), "
        f"{len(rows) - ok} failed (their error is in the table).", "",
        f"Licence of the sounds and tables: {sweep.license}.", "",
        "## How it was made, and how to make it again", "",
        f"`{SWEEP_COPY}` is the sweep that made it. The same files, byte for byte, on the"
        " same platform and package versions:", "",
        "```", f'pip install "cavitation=={__version__}"',
        f"cavitation batch {SWEEP_COPY} --out remade", "```", "",
        "Every audio file has a JSON beside it with every parameter, event and figure, and"
        " carries its provenance inside it too (WAV INFO, FLAC Vorbis comments).", "",
        "## Files", "",
        f"- `{MANIFEST}`: one row per run, every parameter and every figure"
        + (f"; `{PARQUET}`: the same as Parquet" if _has_pyarrow() else ""),
        f"- `{METADATA}`: the cracks only (not the silent files of pulls that did not"
        " crack), first column `file_name`: a folder a"
        " dataset loader reads (Hugging Face `datasets`: `load_dataset(\"audiofolder\","
        " data_dir=...)`)", "",
        "## Columns", "",
        "SI units; a name ends in its unit. `loading.` is the pull, `simulation.` the"
        " integration, `listener.` where and how the sound is heard, `audio.` the file.", "",
        "| column | unit | what it holds |", "|---|---|---|"]
    for column in columns:
        unit, doc = ("", COLUMN_DOCS[column]) if column in COLUMN_DOCS \
            else docs.get(column, ("", ""))
        lines.append(f"| `{column}` | {unit or _unit_of(column)} | {doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _has_pyarrow() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def _parquet_bytes(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    """The manifest as Parquet: empty cells become nulls, lists stay JSON text."""
    import pyarrow
    import pyarrow.parquet

    table = pyarrow.Table.from_pylist(
        [{c: (None if row.get(c, "") == "" else row[c]) for c in columns} for row in rows])
    buffer = pyarrow.BufferOutputStream()
    pyarrow.parquet.write_table(table, buffer)
    return buffer.getvalue().to_pybytes()


def write_dataset(rows: list[dict[str, Any]], out: Path, sweep: Sweep) -> Path:
    """Write the folder's tables, all together and atomically: ``manifest.csv`` (one row
    per run in run order, with every column any row has, ``_row``),
    ``metadata.csv`` (the rendered cracks, ``file_name`` first, without the status and
    error columns, which are the same for all; a pull that did not crack, a silent
    file, is in the manifest only), ``manifest.parquet``
    (where pyarrow is installed), ``sweep.toml`` (the sweep's text, if it has one) and
    ``README.md`` (the dataset card). Returns the manifest's path."""
    rows = [to_json(row) for row in sorted(rows, key=lambda r: r["run_id"])]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    rendered = [{"file_name": row["audio_file"], **row} for row in rows
                if row["status"] == "ok" and row.get("cracked") is True]
    listed = ["file_name", *(c for c in columns if c not in ("status", "error"))]
    files = {MANIFEST: _csv_text(rows, columns),
             METADATA: _csv_text(rendered, listed),
             CARD: _card(sweep, rows, columns)}
    if sweep.text:
        files[SWEEP_COPY] = sweep.text
    parquet = _parquet_bytes(rows, columns) if _has_pyarrow() else None
    paths = [out / name for name in files] + ([out / PARQUET] if parquet is not None else [])
    with OutputSet(paths, overwrite=True) as outputs:
        for name, text in files.items():
            outputs.stage(out / name).write_text(text, encoding="utf-8")
        if parquet is not None:
            outputs.stage(out / PARQUET).write_bytes(parquet)
    return out / MANIFEST


def _refuse_existing(sweep: Sweep, out: Path, resume: bool) -> None:
    """Raise ``OutputExistsError`` if ``out`` holds a file of a run (``NAME.*``) or of
    the dataset (a manifest, README...), unless ``resume``; and, even then, if it holds
    a README or table that no batch wrote (no manifest beside it, or a README without
    :data:`CARD_MARK`): the user's own. The folder is listed once, not once per run."""
    names = sorted(entry.name for entry in os.scandir(out))
    ours = [name for name in (MANIFEST, METADATA, PARQUET, SWEEP_COPY, CARD, CONTACT_SHEET)
            if name in names]
    if ours and MANIFEST not in names:
        raise OutputExistsError(f"{out} already holds {', '.join(ours)}, not written by a"
                                " batch; choose another folder")
    if CARD in names:
        with open(out / CARD, encoding="utf-8", errors="replace") as handle:
            if handle.readline().rstrip("\n") != CARD_MARK:
                raise OutputExistsError(f"{out} already holds a {CARD} that no batch wrote;"
                                        " choose another folder")
    if resume:
        return
    stems: dict[str, list[str]] = {}  # every prefix that ends before a dot
    for name in names:
        for i, char in enumerate(name):
            if char == ".":
                stems.setdefault(name[:i], []).append(name)
    existing = [name for run_ in sweep.runs for name in stems.get(run_.name, [])]
    if existing or ours:
        raise OutputExistsError(f"{out} already holds files of this batch"
                                f" ({', '.join(existing[:3]) or MANIFEST}); resume"
                                " (--resume) to finish it, or choose another folder")


def run(sweep: Sweep, out: str | os.PathLike, *, executor: Executor | None = None,
        workers: int | None = None, resume: bool = False, progress: bool = False,
        start_method: str | None = None) -> BatchSummary:
    """Render every run of ``sweep`` into ``out`` and write ``manifest.csv``.

    Parameters
    ----------
    sweep : Sweep
        From :func:`load_sweep` or :func:`parse_sweep`.
    out : path-like
        Output folder, created if needed. With a cluster's executor it must be on a
        filesystem every worker can write to (the path is made absolute).
    executor : concurrent.futures.Executor, optional
        Where the runs execute (a ``ProcessPoolExecutor``, a Dask client's
        ``get_executor()``, ...). By default a process pool of ``workers``.
    workers : int, optional
        Processes of the default pool, 1 to 4096; all cores if None; 1 runs in this
        process.
    resume : bool, optional
        Skip runs whose files are complete and verified (see :func:`completed_row`);
        without it, a folder that already holds this batch's files is refused.
    progress : bool, optional
        Show a progress bar (count, rate, ETA) on stderr.
    start_method : {"fork", "spawn", "forkserver"}, optional
        How the default pool starts its workers (``multiprocessing``); the platform's
        default if not given. Forked workers inherit this process's warm-up, a fork
        server's workers the server's (:mod:`cavitation._warm`); spawned workers warm
        themselves up once each.

    Returns
    -------
    BatchSummary
    """
    import multiprocessing

    if start_method is not None:
        check_choice("start_method", start_method,
                     tuple(multiprocessing.get_all_start_methods()))
    if workers is not None:  # before the output folder is made
        workers = check_count("workers", workers, 1, 4096)
    context = multiprocessing.get_context(start_method)
    if executor is None and context.get_start_method() == "forkserver":
        _preload_warm_up()
    start = time.perf_counter()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out)  # of an interrupted run; a live batch's and a user's are kept
    rows: list[dict[str, Any]] = []
    todo: list[Run] = []
    _refuse_existing(sweep, out, resume)
    for run_ in sweep.runs:
        done = completed_row(sweep, run_, out) if resume else None
        if done is not None:
            rows.append(done)
            continue
        todo.append(run_)
    skipped = len(rows)
    workers = workers or os.cpu_count() or 1
    with _bar(len(sweep.runs), skipped, progress) as bar:
        if executor is None and workers == 1:
            for run_ in todo:
                rows.append(render_run(sweep, run_, str(out)))
                bar.update(1)
        else:
            own = executor is None
            if own and todo and context.get_start_method() == "fork":
                _warm_up(sweep)  # the forked workers inherit it
            finished, orphans = _pool_pass(sweep, todo, out, executor, workers, bar, context)
            rows.extend(finished)
            if own and orphans:  # a worker died: its unfinished runs get a new one
                _retry(sweep, [r for r, _ in orphans], out, workers, bar, rows, context)
            else:
                rows.extend(_row(sweep, r, "failed", err) for r, err in orphans)
                bar.update(len(orphans))
    manifest = write_dataset(rows, out, sweep)
    failed = sum(1 for r in rows if r["status"] != "ok")
    return BatchSummary(len(sweep.runs), len(todo), skipped, failed, manifest,
                        time.perf_counter() - start)


def _retry(sweep: Sweep, runs: list[Run], out: Path, workers: int, bar,
           rows: list[dict[str, Any]], context: Any = None) -> None:
    """Render runs whose worker died, in a new pool. If a worker dies again, the runs
    left are split in halves, each retried in a pool of its own, until a run that
    kills its worker alone is found: it is recorded as failed. One such run among
    ``n`` costs about ``2 log2(n)`` pools, and every other run is rendered."""
    done, orphans = _pool_pass(sweep, runs, out, None, workers, bar, context)
    rows.extend(done)
    if not orphans:
        return
    if len(runs) == 1:
        run_, err = orphans[0]
        rows.append(_row(sweep, run_, "failed", f"its worker died in two attempts ({err})"))
        bar.update(1)
        return
    left = [run_ for run_, _ in orphans]
    half = (len(left) + 1) // 2
    for part in (left[:half], left[half:]):
        if part:
            _retry(sweep, part, out, min(workers, len(part)), bar, rows, context)


def _pool_pass(sweep: Sweep, runs: list[Run], out: Path, executor: Executor | None,
               workers: int, bar, context: Any = None
               ) -> tuple[list[dict[str, Any]], list[tuple[Run, str]]]:
    """Render ``runs`` on ``executor`` (a new process pool of ``workers`` started by the
    ``multiprocessing`` ``context``, if None).

    Returns the rows of the runs that ended (rendered or failed), and the runs whose
    worker died before they were whole on disk, with the error that said so.
    """
    own = executor is None
    # Runs go out in chunks, with the sweep's settings but not its run list: a task per
    # run would keep the main process busy a third of a core.
    shared = dataclasses.replace(sweep, runs=())
    size = max(1, min(MAX_CHUNK, len(runs) // (8 * workers)))
    chunks = [tuple(runs[i:i + size]) for i in range(0, len(runs), size)]
    rows: list[dict[str, Any]] = []
    orphans: list[tuple[Run, str]] = []
    try:
        if executor is None:
            forked = context is None or context.get_start_method() == "fork"
            executor = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                           initializer=_worker_setup,
                                           initargs=(None if forked else shared,))
        futures = {}
        for index, chunk in enumerate(chunks):
            try:
                futures[executor.submit(render_runs, shared, chunk, str(out))] = chunk
            except BrokenProcessPool as err:  # a worker died before every chunk was sent
                orphans.extend((run_, f"{type(err).__name__}: {err}")
                               for rest in chunks[index:] for run_ in rest)
                break
        for future in as_completed(futures):
            try:
                done = future.result()
            except Exception as err:  # a worker died: runs it finished are whole on disk
                done = []
                for run_ in futures[future]:
                    whole = completed_row(sweep, run_, out)
                    if whole is not None:
                        done.append(whole)
                    else:
                        orphans.append((run_, f"{type(err).__name__}: {err}"))
            rows.extend(done)
            bar.update(len(done))
    finally:
        if own and executor is not None:
            _shut_down(executor)
    return rows, orphans


def _shut_down(executor: Executor) -> None:
    """Shut a pool of our own down: the runs at work finish (their files are whole),
    the rest are cancelled, and no worker is left behind.

    An interrupt (Ctrl-C, or SIGTERM, which the command line takes as one) during the
    shutdown stops the workers at once rather than raising there: a second Ctrl-C
    raised inside the pool's shutdown left its workers untold to stop, and the
    interpreter waited for them at exit, forever. A worker stopped mid-run leaves only
    staged files under temporary names. Once all have ended, the caller's own handlers
    are back and the signal is raised again for them (a signal the caller ignores is
    left ignored). The handlers change with both signals blocked, where that can be.
    """
    # The pool forgets its processes on shutdown: hold on to them.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    interrupted: list[int] = []

    def stop_now(signum: int, frame: object) -> None:
        interrupted.append(signum)
        for process in processes:
            if process.is_alive():
                process.terminate()

    held: dict[int, Any] = {}
    main_thread = threading.current_thread() is threading.main_thread()  # handlers: there
    with _signals_blocked(main_thread):
        for sig in (signal.SIGINT, signal.SIGTERM) if main_thread else ():
            if signal.getsignal(sig) is not signal.SIG_IGN:
                held[sig] = signal.signal(sig, stop_now)
    try:
        executor.shutdown(wait=True, cancel_futures=True)
        _stop_leftovers(processes)
    finally:
        with _signals_blocked(main_thread):
            for number, handler in held.items():  # None: set outside Python, unrestorable
                signal.signal(number, signal.SIG_DFL if handler is None else handler)
    if interrupted:
        signal.raise_signal(interrupted[0])  # to the caller's handler: Ctrl-C raises


@contextlib.contextmanager
def _signals_blocked(blocking: bool) -> Iterator[None]:
    """SIGINT and SIGTERM held back (delivered at the end) while handlers change, where
    the platform can block signals (not Windows)."""
    if not blocking or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


#: What :func:`spread` summarises: (column, label, unit, scale).
SPREAD = (("audio.loudness_lufs", "loudness", "LUFS", 1.0),
          ("audio.true_peak_dbtp", "true peak", "dBTP", 1.0),
          ("peak_level_db", "peak level", "", 1.0),
          ("dominant_frequency_hz", "dominant frequency", "Hz", 1.0),
          ("spectral_centroid_hz", "spectral centroid", "Hz", 1.0),
          ("duration_s", "duration", "ms", 1e3),
          ("crack_time_s", "crack time", "s", 1.0))


def spread(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How a set of sounds spreads, as a listener would hear it: of the runs that
    cracked, the median and the 5th and 95th percentiles of each :data:`SPREAD` column
    (scaled to its unit), and the counts.

    Parameters
    ----------
    rows : list of dict
        :func:`results` of a batch.

    Returns
    -------
    dict
        ``runs``, ``cracked``, ``silent`` (rendered without a crack), ``failed``, and
        for each column of :data:`SPREAD` with values, ``(label, unit, p5, median,
        p95)``, keyed by the column.
    """
    cracked = [row for row in rows if row["status"] == "ok" and row.get("cracked") is True]
    summary: dict[str, Any] = {
        "runs": len(rows), "cracked": len(cracked),
        "silent": sum(1 for row in rows if row["status"] == "ok" and row.get("cracked")
                      is not True),
        "failed": sum(1 for row in rows if row["status"] != "ok")}
    for column, label, unit, scale in SPREAD:
        values = np.array([row[column] for row in cracked
                           if isinstance(row.get(column), float) and math.isfinite(row[column])])
        if values.size:
            p5, median, p95 = np.percentile(values * scale, [5, 50, 95])
            summary[column] = (label, unit, float(p5), float(median), float(p95))
    return summary


def results(out: str | os.PathLike, *, as_frame: bool = False) -> Any:
    """A finished batch, read back: one dict per run, in run order.

    Each holds the manifest's columns (numbers as numbers; every parameter, setting and
    figure, ``_row``) and, for runs that rendered, ``summary`` and ``features`` from
    the run's JSON (SI units). A failed run has ``status`` ``"failed"`` and its
    ``error``, and no summary.

    Parameters
    ----------
    out : path-like
        The batch's output folder.
    as_frame : bool, optional
        Return the manifest as a ``pandas.DataFrame`` instead (one row per run, the
        manifest's columns; ``pip install "cavitation[dataset]"``).
    """
    out = Path(out)
    if as_frame:
        try:
            import pandas
        except ImportError:
            raise ImportError("results(as_frame=True) needs pandas: pip install"
                              ' "cavitation[dataset]"') from None
        if (out / PARQUET).exists() and _has_pyarrow():
            return pandas.read_parquet(out / PARQUET)
        return pandas.read_csv(out / MANIFEST, keep_default_na=True)
    with open(out / MANIFEST, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = []
    for row in rows:
        parsed: dict[str, Any] = {}
        for key, text in row.items():
            try:
                parsed[key] = float(text) if key not in ("name", "status", "error",
                                                          "audio_file", "audio_sha256") \
                    else text
            except ValueError:
                parsed[key] = {"True": True, "False": False}.get(text, text)
        parsed["run_id"] = int(parsed["run_id"])
        if parsed["status"] == "ok":
            meta = json.loads((out / f"{parsed['name']}.json").read_text(encoding="utf-8"))
            parsed["summary"], parsed["features"] = meta["summary"], meta["features"]
        table.append(parsed)
    return table
