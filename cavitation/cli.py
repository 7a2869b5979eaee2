"""The command line: a thin layer over :func:`cavitation.render.render` and ``save``.

``cavitation render --preset knuckle`` writes ``outputs/knuckle.wav``, ``.json`` and
``.png``. A bad value prints one line naming it and what is valid, and exits 2,
leaving no file behind.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import signal
import socket
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import __version__, audio, listener, radiation
from .audio import ClippingError
from .bubble import MODELS
from .io import PLAIN_NAME, FolderInTheWayError, OutputExistsError, is_plain_name, to_json
from .parameters import check_range, describe
from .render import AudioSettings, Rendering
from .simulation import GEOMETRIES

if TYPE_CHECKING:
    from .batch import Sweep

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parse_value(name: str, text: str, current: object) -> object:
    """The ``--set`` value in the type of the field it replaces."""
    if isinstance(current, str):
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--set {name}={text}: {text!r} is not a number") from None


def parse_assignments(assignments: Sequence[str], values: dict[str, object]
                      ) -> dict[str, object]:
    """``NAME=VALUE`` strings as ``{name: value}``, each value in its field's type."""
    changes: dict[str, object] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--set {item!r} is not NAME=VALUE")
        if name not in values:
            raise ValueError(f"unknown parameter {name!r}; valid names: {', '.join(values)}")
        if name in changes:
            raise ValueError(f"--set {name} is given twice; give each parameter once")
        changes[name] = _parse_value(name, text, values[name])
    return changes


#: A trimmed file follows the sound down to this far below its peak [dB].
TRIM_DB = 60.0


def _start_method_argument(parser: argparse.ArgumentParser) -> None:
    import multiprocessing

    parser.add_argument("--start-method", choices=multiprocessing.get_all_start_methods(),
                        default=None, help="how worker processes start (default: the"
                        " platform's; fork on Linux before Python 3.14, spawn on macOS and"
                        " Windows); each warms up once")


def _sound_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say how the sound is heard and stored: listener, distance,
    sample rate, format and sample format."""
    parser.add_argument("--listener", choices=listener.LISTENERS, default="air",
                        help="air: microphone at --distance in air [Pa]; contact: microphone on"
                        " the skin over the joint, read as the pressure in the tissue [Pa];"
                        " accelerometer: accelerometer on the skin [m/s^2] (default: air)")
    parser.add_argument("--distance", type=float, default=None, metavar="M",
                        help="distance from the joint to the microphone [m], 0.01-100 (air"
                        " listener only; default 0.1)")
    parser.add_argument("--samplerate", type=int, choices=audio.SAMPLERATES_HZ, default=48000,
                        metavar="HZ", help="sample rate [Hz]: "
                        + ", ".join(map(str, audio.SAMPLERATES_HZ)) + " (default 48000)")
    parser.add_argument("--format", choices=("wav", "flac"), default="wav",
                        help="audio file format (default: wav)")
    parser.add_argument("--subtype", choices=("PCM_16", "PCM_24", "FLOAT"), default="PCM_24",
                        help="sample format; FLAC holds PCM only (default: PCM_24)")


def _shape_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that shape a file: its padding, trimming and channels."""
    parser.add_argument("--pad-ms", type=float, default=None, metavar="MS",
                        help="silence kept before and after the sound [ms] (default 50)")
    parser.add_argument("--trim", action="store_true",
                        help=f"trim the file to the sound (down to {TRIM_DB:g} dB below its"
                        " peak) plus the padding, faded in and out")
    parser.add_argument("--channels", type=int, choices=(1, 2), default=None,
                        help="1: mono; 2: stereo, a centred sound at -3 dB each side"
                        " (default: as the sources are, stereo when a joint is on one side)")


def _shape(args: argparse.Namespace) -> dict[str, float]:
    """The AudioSettings of :func:`_shape_arguments`' options that were given."""
    shape: dict[str, float] = {}
    if args.pad_ms is not None:
        pad_ms = check_range("--pad-ms", args.pad_ms, "ms", 0.0, 5000.0)
        shape["pad_before_s"] = shape["pad_after_s"] = pad_ms / 1e3
    if args.trim:
        shape["trim_db"] = TRIM_DB
    if args.channels is not None:
        shape["channels"] = args.channels
    return shape


class _Version(argparse.Action):
    """``--version``: the version, and whether the compiled integrator is active (found
    only when asked: importing it costs a render's worth of time)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from .bubble import compiled_path_status

        print(f"cavitation {__version__}; {compiled_path_status()}")
        parser.exit()


def _build_parser() -> argparse.ArgumentParser:
    from .presets import PRESETS

    parser = _Parser(prog="cavitation", description="Simulate the crack of a synovial joint"
                     " and render it as sound, metadata and figures.")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="print the version and whether the compiled path is active")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = commands.add_parser(
        "render", help="simulate one crack and write NAME.wav, NAME.json and NAME.png",
        description="Simulate one crack of a preset joint (or the joints of a --scenario)"
        " and write\nits sound (WAV or FLAC), its parameters, events and features (JSON)"
        " and a\ndashboard figure (PNG). All values are SI: metres, seconds, pascals,"
        " newtons.",
        epilog="examples:\n  cavitation render --preset knuckle\n"
        "  cavitation render --preset knuckle --set capsule.compliance_m3_pa=3e-13"
        " --set loading.peak_force_n=80 --listener contact --format flac\n"
        "Parameter names: cavitation render --preset knuckle --list-parameters",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--preset", default=None, metavar="NAME",
                   help=f"joint and loading to start from; one of: {', '.join(PRESETS)}"
                   " (default: knuckle)")
    r.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change one parameter, in SI units; repeatable. Joint parameters by"
                   " name (mass_kg, capsule.compliance_m3_pa, fluid.viscosity_pa_s, ...),"
                   " the loading's as loading.NAME (loading.peak_force_n)")
    r.add_argument("--list-parameters", action="store_true",
                   help="print every parameter of the preset (with the --set changes): name,"
                   " value, unit, valid range and source, and exit")
    r.add_argument("--json", action="store_true",
                   help="with --list-parameters: print them as JSON")
    _sound_arguments(r)
    r.add_argument("--level", choices=audio.LEVELS, default="calibrated",
                   help="calibrated: --full-scale is digital full scale, so a louder"
                   " crack is a louder file; normalised: true peak at -1 dBTP; loudness:"
                   " --lufs, for listening and sound packs (default: calibrated)")
    r.add_argument("--lufs", type=float, default=None, metavar="LUFS",
                   help="with --level loudness: integrated loudness of the file [LUFS],"
                   " ITU-R BS.1770, a clip under 400 ms measured as one 400 ms block;"
                   " -70 to 0, the true peak kept at -1 dBTP at most (default -35; the"
                   " presets' cracks reach -27 to -32)")
    r.add_argument("--full-scale", type=float, default=None, metavar="X",
                   help="calibration: the signal at digital full scale, in the listener's"
                   " unit (default: 20 Pa, 120 dB SPL, in air; 100 kPa in contact;"
                   " 1000 m/s^2 at the accelerometer)")
    r.add_argument("--noise", type=float, default=0.0, metavar="X",
                   help="RMS of white background noise at the listener, in its unit [Pa or"
                   " m/s^2] (default 0)")
    _shape_arguments(r)
    r.add_argument("--seed", type=int, default=0,
                   help="seed of the noise and, with --person, of the people (default 0)")
    r.add_argument("--geometry", choices=GEOMETRIES, default="confined",
                   help="the cavity: confined, a disc growing in the film between the"
                   " articular surfaces; or sphere, a sphere in the capsule's fluid, as up"
                   " to version 0.3 (default: confined)")
    r.add_argument("--model", choices=MODELS, default=None,
                   help="equation of a spherical cavity, --geometry sphere only (default:"
                   " keller_miksis)")
    r.add_argument("--source", choices=radiation.SOURCES, default="full",
                   help="which phase of the cavity sounds: full, collapse (Unsworth 1971)"
                   " or formation (Kawchuk 2015) (default: full)")
    r.add_argument("--scenario", default=None, metavar="NAME",
                   help="render a multi-joint thrust instead of one preset, in stereo (left"
                   f" and right joints): one of {', '.join(_scenario_names())}")
    r.add_argument("--person", type=int, default=None, metavar="N",
                   help="with --scenario: person N (from 0) of a seeded population whose"
                   " joints and thrust differ as people's do (cavitation.population),"
                   " drawn with --seed; by default the scenario's idealised person")
    r.add_argument("--turn", choices=("left", "right"), default=None,
                   help="with a cervical --scenario: the head turned to this side before"
                   " the thrust")
    r.add_argument("--rotate", choices=("left", "right"), default=None,
                   help="with a cervical --scenario: no thrust, a slow rotation of the head"
                   " to this side (80 N on a turned-side joint over 0.5 s)")
    r.add_argument("--spasm", choices=("left", "right"), default=None,
                   help="with --scenario: the muscles of this side in spasm, pressing its"
                   " joints shut (--spasm-force) and stiffening them (--spasm-stiffness)")
    r.add_argument("--spasm-force", type=float, default=None, metavar="N",
                   help="with --spasm: force pressing each joint of that side shut [N]"
                   " (default 4: delays that side's pops; about 10 silences them)")
    r.add_argument("--spasm-stiffness", type=float, default=None, metavar="X",
                   help="with --spasm: factor on the stiffness of that side [-] (default 1)")
    r.add_argument("--svg", action="store_true", help="also write the dashboard as NAME.svg")
    r.add_argument("--pdf", action="store_true",
                   help="also write the dashboard as NAME.pdf (vector, for a paper)")
    r.add_argument("--no-figure", action="store_true",
                   help="write the sound and its JSON only, no dashboard (faster)")
    r.add_argument("--out", default="outputs", metavar="DIR",
                   help="output folder, created if needed (default: outputs)")
    r.add_argument("--name", default=None, metavar="NAME",
                   help="file name of the outputs, without extension (default: the preset's"
                   " or scenario's name; with a fingerprint of the options and --set values"
                   " that differ from the defaults, e.g. knuckle-3f2a91c0, so that a changed"
                   " render does not collide with the default one)")
    r.add_argument("--overwrite", action="store_true",
                   help="replace existing files (by default they are kept and nothing is"
                   " written)")
    bt = commands.add_parser(
        "batch", help="render every run of a sweep file into a folder, with a manifest",
        description="Render every run of a sweep (TOML: a preset, fixed changes, axes as"
        " a grid\nand/or drawn at random, simulation and audio settings, a file-name"
        " template) into\n--out, with manifest.csv (one row per run: swept values,"
        " features, status, error,\naudio SHA-256). The whole file is checked before any"
        " run starts. A failed run is\nrecorded and the others go on; the exit status is"
        " then 1. Interrupted (Ctrl-C,\nSIGTERM, kill), '--resume' finishes the sweep"
        " with the same files.",
        epilog="example sweep: examples/knuckle_sweep.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    bt.add_argument("sweep", help="sweep file (TOML)")
    bt.add_argument("--out", required=True, metavar="DIR", help="output folder")
    bt.add_argument("--workers", type=int, default=None, metavar="N",
                    help="local worker processes (default: all cores; 1 runs in this"
                    " process)")
    bt.add_argument("--resume", action="store_true",
                    help="skip runs whose files are complete and verified, render the rest")
    _start_method_argument(bt)
    bt.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on an existing Dask cluster, e.g. tcp://HOST:8786 (needs"
                    " pip install 'cavitation[dask]')")
    bt.add_argument("--dry-run", action="store_true",
                    help="check the sweep, print how many runs and the first few, and exit")
    pk = commands.add_parser(
        "pack", help="render many different cracks of one preset: a labelled sound set",
        description="Draw COUNT people about a preset (each joint's size, stiffness, fluid,"
        " depth and\nnucleation tension, and the pull's force, varied by the spreads of\n"
        "cavitation.population.Variation), render each, and write a dataset into --out:\n"
        "the sounds and their JSON, manifest.csv (every parameter and figure, one row per"
        " file),\nmetadata.csv (for a dataset loader), manifest.parquet (with pyarrow),"
        " sweep.toml\n(remakes it: cavitation batch sweep.toml) and README.md. Seeded and"
        " resumable as a batch.",
        epilog="example: cavitation pack --preset knuckle --count 500 --out knuckle_pack"
        " --listen", formatter_class=argparse.RawDescriptionHelpFormatter)
    pk.add_argument("--preset", default="knuckle", metavar="NAME",
                    help="the median person's joint and pull (default: knuckle)")
    pk.add_argument("--count", type=int, required=True, metavar="N",
                    help="how many sounds, each a different person (1 to 1,000,000)")
    pk.add_argument("--out", required=True, metavar="DIR", help="output folder")
    pk.add_argument("--seed", type=int, default=0,
                    help="seed of the people and the noise (default 0); person i is the"
                    " same whatever --count is")
    _sound_arguments(pk)
    pk.add_argument("--level", choices=audio.LEVELS, default="loudness",
                    help="loudness: every crack at --lufs (default); normalised: true peak"
                    " at -1 dBTP; calibrated: louder cracks are louder files")
    pk.add_argument("--lufs", type=float, default=None, metavar="LUFS",
                    help="with --level loudness: the files' loudness [LUFS] (default -35)")
    _shape_arguments(pk)
    pk.add_argument("--license", default="CC0-1.0", metavar="SPDX",
                    help="licence of the sounds, for the dataset's README (default CC0-1.0)")
    pk.add_argument("--workers", type=int, default=None, metavar="N",
                    help="worker processes (default: all cores)")
    pk.add_argument("--resume", action="store_true",
                    help="finish an interrupted pack: skip the files that are complete")
    _start_method_argument(pk)
    pk.add_argument("--listen", action="store_true",
                    help="then print how the set spreads (loudness, pitch, length) and"
                    " write contact_sheet.png, the first 36 waveforms")
    pl = commands.add_parser(
        "pulls", help="pull one joint again and again over minutes: when does it crack?",
        description="Pull a preset joint at each of the given times (with its own loading)."
        " After a crack the joint holds a gas bubble that dissolves over minutes; while"
        " it is there, a pull does not crack the joint, or cracks it far less. Prints one"
        " line per pull.")
    pl.add_argument("--preset", default="knuckle", metavar="NAME",
                    help="joint and loading (default: knuckle)")
    pl.add_argument("--at", type=float, nargs="+", required=True, metavar="S",
                    help="start of each pull [s], increasing; e.g. --at 0 300 900 1800")
    pl.add_argument("--geometry", choices=GEOMETRIES, default="confined",
                    help="the cavity's geometry (default: confined)")
    va = commands.add_parser(
        "validate", help="compare every preset with the published figures: met or not,"
        " fitted or predicted",
        description="Print the validation report: the constants fitted to a published"
        " figure, every published figure of ../shared/REFERENCES.md beside the model's"
        " value measured the way the study measured it (met or not, fitted or"
        " predicted), and each preset's sound measured as a listener would (onset to"
        " peak, -3 dB bandwidth, energy per octave). Markdown tables on stdout.")
    from .validation import add_arguments

    add_arguments(va)
    pr = commands.add_parser(
        "presets", help="list the joint presets, or show one in full",
        description="List the joint presets with their key figures, or show every"
        " parameter of one with its value, unit and source. Change a copy with"
        " 'cavitation render --preset NAME --set NAME=VALUE', or in Python with"
        " cavitation.replace(get_preset(NAME).joint, ...).")
    pr.add_argument("name", nargs="?", default=None, help="preset to show in full")
    return parser


def _remove_stale_parts(out: str) -> None:
    """Staging files an interrupted render or batch left in ``out`` (their writer is gone;
    a live writer's and a user's own files are kept)."""
    from .io import remove_stale_parts

    if os.path.isdir(out):
        remove_stale_parts(out)


def _audio_settings(args: argparse.Namespace) -> AudioSettings:
    """The noise, in the listener's unit, and the microphone's distance."""
    noise = ("noise_rms_m_s2" if args.listener == "accelerometer" else "noise_rms_pa")
    loudness = {} if args.lufs is None else {"target_loudness_lufs": args.lufs}
    return AudioSettings.from_dict({noise: args.noise, "air_distance_m": _air_distance_m(args),
                                    **loudness, **_shape(args)})


def _scenario_names() -> list[str]:
    from .scenario import SCENARIOS

    return list(SCENARIOS)


def _presets(args: argparse.Namespace) -> int:
    from .presets import PRESETS, get_preset

    if args.name is None:
        print(f"{'preset':18s} {'area':>9s} {'compliance':>12s} {'stiffness':>10s}"
              f" {'depth':>7s}  loading; description")
        for p in PRESETS.values():
            j = p.joint
            print(f"{p.name:18s} {j.area_m2 * 1e6:6.0f} mm2 {j.capsule.compliance_m3_pa:8.1e}"
                  f" m3/Pa {j.stiffness_n_m / 1e3:5.0f} N/mm {j.body.depth_m * 1e3:4.0f} mm"
                  f"  {type(p.loading).__name__}; {p.description}")
        print("scenarios (several joints, stereo): " + ", ".join(_scenario_names()))
        return 0
    preset = get_preset(args.name)
    print(f"{preset.name}: {preset.description}")
    print(_parameter_table(parameter_rows(preset, preset.joint, preset.loading)))
    print(textwrap.fill(f"loading source: {preset.sources.get('loading', '')}", TABLE_WIDTH,
                        subsequent_indent="    "))
    return 0


def parameter_rows(preset, joint, loading) -> list[dict[str, object]]:
    """Every parameter of ``joint`` and ``loading`` (a preset's, changed or not): name
    (as ``--set`` takes it), value, unit, valid range (text, and its ends) and source."""
    rows = [row._asdict() | {"source": preset.source(row.name)} for row in describe(joint)]
    rows += [row._asdict() | {"name": f"loading.{row.name}", "source": row.doc}
             for row in describe(loading)]
    for row in rows:
        del row["doc"]
    return rows


#: Width of a parameter table [characters].
TABLE_WIDTH = 100


def _parameter_table(rows: list[dict[str, object]]) -> str:
    """Aligned columns (name, value, unit, valid range) and each source wrapped on
    indented lines below its row, all within :data:`TABLE_WIDTH` (a source column
    beside names of 30 characters and ranges of 16 would be 20 characters wide)."""
    def number(value: object) -> str:
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    cells = [(str(r["name"]), number(r["value"]), str(r["unit"]), str(r["valid"])) for r in rows]
    header = ("name", "value", "unit", "valid range")
    widths = [max(len(c[i]) for c in [*cells, header]) for i in range(4)]

    def line(name: str, value: str, unit: str, valid: str) -> str:
        return (f"{name:{widths[0]}s}  {value:>{widths[1]}s}  {unit:{widths[2]}s}"
                f"  {valid:{widths[3]}s}").rstrip()

    lines = [line(*header), "    source"]
    for cell, row in zip(cells, rows, strict=True):
        lines.append(line(*cell))
        lines.extend(textwrap.wrap(str(row["source"]), TABLE_WIDTH, initial_indent="    ",
                                   subsequent_indent="    "))
    return "\n".join(lines)


def _render(args: argparse.Namespace) -> int:
    from .presets import configure, get_preset, parameter_values
    from .render import render, save

    if args.full_scale is not None and args.level != "calibrated":
        raise ValueError("--full-scale sets the calibrated level; it has no effect with"
                         f" --level {args.level}")
    _check_effective(args)
    _figures(args)  # refused before the work
    if args.spasm is None and (args.spasm_force is not None
                               or args.spasm_stiffness is not None):
        raise ValueError("--spasm-force and --spasm-stiffness need --spasm SIDE")
    if args.scenario is not None:
        for flag, given in (("--preset", args.preset), ("--set", args.set),
                            ("--list-parameters", args.list_parameters)):
            if given:
                raise ValueError(f"{flag} applies to one preset, not to --scenario"
                                 " (change a scenario's joints in Python: cavitation.scenario)")
        return _render_scenario(args)
    if args.turn or args.rotate or args.spasm or args.person is not None:
        raise ValueError("--turn, --rotate, --spasm and --person need --scenario")
    preset = get_preset("knuckle" if args.preset is None else args.preset)
    joint, loading = configure(preset, parse_assignments(args.set, parameter_values(preset)))
    if args.json and not args.list_parameters:
        raise ValueError("--json prints the parameters; it needs --list-parameters")
    if args.list_parameters:
        rows = parameter_rows(preset, joint, loading)
        print(json.dumps(to_json(rows), indent=1) if args.json else _parameter_table(rows))
        return 0
    stem = _stem(args, preset.name, parameter_values(preset))  # a bad --name: before the work
    settings = _audio_settings(args)
    rendering = render(joint, loading, listener_kind=args.listener,
                       samplerate_hz=args.samplerate, level=args.level,
                       full_scale=args.full_scale, seed=args.seed, settings=settings,
                       model=_model(args), geometry=args.geometry, source=args.source)
    figures = _figures(args)
    _remove_stale_parts(args.out)
    paths = save(rendering, args.out, stem, file_format=args.format,
                 subtype=args.subtype, figures=figures, preset=preset.name,
                 overwrite=args.overwrite)
    s = rendering.crack.summary
    verdict = (f"cracked at {s.crack_time_s:.3f} s ({s.nucleation_force_n:.1f} N)"
               if s.cracked else "no crack: the pull never reached the nucleation pressure")
    print(f"{preset.name}: {verdict}; {_heard_text(rendering, dominant=True)}")
    for path in paths:
        print(f"  wrote {path}")
    return 0


def _reachable(address: str) -> None:
    """Open and close a TCP connection to a ``tcp://HOST:PORT`` address; ``OSError`` if
    it is refused or times out (5 s). Other addresses are left to Dask."""
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        socket.create_connection((parts.hostname, parts.port), timeout=5.0).close()


def _figures(args: argparse.Namespace) -> tuple[str, ...]:
    """The dashboard's formats a render writes: PNG, and SVG and PDF if asked for; none
    with ``--no-figure``."""
    vector = tuple(kind for kind in ("svg", "pdf") if getattr(args, kind))
    if args.no_figure:
        if vector:
            raise ValueError(f"--no-figure writes no dashboard; it excludes --{vector[0]}")
        return ()
    return ("png", *vector)


#: Options of ``cavitation render`` that do not change the sound or its files' contents.
_NOT_IN_NAME = ("out", "overwrite", "svg", "pdf", "no_figure", "name", "list_parameters", "json",
                "preset", "scenario", "turn", "rotate", "spasm", "command")


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _stem(args: argparse.Namespace, base: str, values: dict[str, object] | None = None
          ) -> str:
    """The outputs' file name: ``--name``, or ``base`` with a fingerprint of every option
    that differs from its default, ``--set`` values included that differ from the
    preset's ``values`` (an option or value given as its default leaves the name)."""
    if args.name is not None:
        if not is_plain_name(args.name):  # as a batch's names
            raise ValueError(f"--name {args.name[:60]!r} is not a file name; valid:"
                             f" {PLAIN_NAME}")
        return args.name
    given, defaults = (vars(options) | {"distance": _air_distance_m(options),
                                        "model": _model(options)}
                       for options in (args, _build_parser().parse_args(["render"])))
    changed = {key: value for key, value in sorted(given.items())
               if key not in _NOT_IN_NAME and value != defaults.get(key)}
    if "set" in changed:  # the same values however written or ordered
        assigned = parse_assignments(args.set, values) if values is not None else {
            name: _number_or_text(value) for name, _, value in
            (item.partition("=") for item in args.set)}
        changed["set"] = sorted((name, value) for name, value in assigned.items()
                                if values is None or value != values[name])
        if not changed["set"]:
            del changed["set"]
    if not changed:
        return base
    digest = hashlib.sha256(json.dumps(changed, sort_keys=True, default=str).encode())
    return f"{base}-{digest.hexdigest()[:8]}"


def _heard_text(rendering: Rendering, *, dominant: bool) -> str:
    """The sound's peak level at its listener (and its dominant frequency), or silence:
    not a peak of -inf dB and a frequency of nan."""
    f, where = rendering.features, f"at the {rendering.listener} listener"
    if not math.isfinite(f.peak_level_db):
        return f"silence {where}"
    tone = f", {audio.dominant_text(f.dominant_frequency_hz)}" if dominant else ""
    return f"peak {f.peak_level_db:.1f} {rendering.level_unit} {where}{tone}"


def _render_scenario(args: argparse.Namespace) -> int:
    from .render import hearing_options, save
    from .scenario import (
        get_scenario,
        head_rotation,
        render_scenario,
        simulate_scenario,
        turn_head,
        with_spasm,
    )

    if args.turn and args.rotate:
        raise ValueError("--turn (before a thrust) and --rotate (no thrust) exclude each other")
    scenario = get_scenario(args.scenario)
    if args.person is not None:
        from .population import draw_people

        index = int(check_range("--person", args.person, "1", 0, 99999))
        scenario = draw_people(scenario, index + 1, seed=args.seed)[index]
    if args.spasm:
        scenario = with_spasm(
            scenario, args.spasm,
            compression_n=4.0 if args.spasm_force is None else args.spasm_force,
            stiffness_factor=1.0 if args.spasm_stiffness is None else args.spasm_stiffness)
    if args.turn:
        scenario = turn_head(scenario, args.turn)
    if args.rotate:
        scenario = head_rotation(scenario, args.rotate)
    stem = _stem(args, scenario.file_stem)  # a bad --name is refused before the work
    settings = _audio_settings(args)
    result = simulate_scenario(scenario, model=_model(args), geometry=args.geometry,
                               source=args.source,
                               **hearing_options(args.samplerate))
    rendering = render_scenario(result, listener_kind=args.listener,
                                samplerate_hz=args.samplerate, level=args.level,
                                full_scale=args.full_scale, seed=args.seed,
                                settings=settings)
    figures = _figures(args)
    _remove_stale_parts(args.out)
    paths = save(rendering, args.out, stem, file_format=args.format,
                 subtype=args.subtype, figures=figures, overwrite=args.overwrite,
                 extra={"scenario": scenario.as_dict()})
    from .detection import detect

    pops = ", ".join(f"{label} at {t:.4f} s" for t, label, _ in result.pops) or "none"
    heard = detect(rendering.signal, rendering.samplerate_hz, rendering.start_s)
    sides = ", ".join(f"{heard.sides.count(side)} {side}" for side in dict.fromkeys(heard.sides))
    print(f"{scenario.file_stem}: {result.pop_count} joints cracked ({pops}); heard as"
          f" {heard.count} pop(s){f' ({sides})' if sides else ''},"
          f" {_heard_text(rendering, dominant=False)}")
    for path in paths:
        print(f"  wrote {path}")
    return 0


def _pulls(args: argparse.Namespace) -> int:
    from .presets import get_preset
    from .protocol import repeated_pulls

    preset = get_preset(args.preset)
    pulls = repeated_pulls(args.at, preset.joint, preset.loading, after_crack_s=0.01,
                           geometry=args.geometry)
    print(f"{preset.name}: {len(pulls)} pulls ({type(preset.loading).__name__})")
    print(f"{'start [min]':>12} {'residual bubble [mm]':>21} {'outcome':>10}"
          f" {'force [N]':>10} {'peak at 1 cm [kPa]':>19}")
    for pull in pulls:
        s = pull.result.summary
        outcome = "crack" if pull.cracked else "no crack"
        force = f"{s.nucleation_force_n:10.1f}" if pull.cracked else f"{'-':>10}"
        print(f"{pull.start_s / 60:12.1f} {pull.residual_radius_m * 1e3:21.3f} {outcome:>10}"
              f" {force} {pull.peak_radiated_pressure_pa / 1e3:19.2f}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from . import validation

    return validation.run(args)


def _batch(args: argparse.Namespace) -> int:
    from . import batch

    sweep = batch.load_sweep(args.sweep)
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers = {args.workers} is out of range; valid: 1 or more")
    if args.dry_run:
        print(f"{sweep.source}: {len(sweep.runs)} runs of preset {sweep.preset!r}")
        for run in sweep.runs[:5]:
            values = ", ".join(f"{k}={v:.6g}" for k, v in run.swept.items())
            print(f"  {run.run_id:5d} {run.name}: {values or '(no swept values)'}")
        if len(sweep.runs) > 5:
            print(f"  ... and {len(sweep.runs) - 5} more")
        return 0
    return _run_sweep(sweep, args, scheduler=args.scheduler)


def _run_sweep(sweep: Sweep, args: argparse.Namespace, *, scheduler: str | None = None) -> int:
    """Render a sweep as ``cavitation batch`` and ``cavitation pack`` do: with a progress
    bar, SIGTERM taken as an interrupt, one summary line; status 1 if a run failed."""
    from . import batch

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers = {args.workers} is out of range; valid: 1 or more")
    options = {"resume": args.resume, "progress": True}
    if args.start_method is not None:
        if scheduler is not None:
            raise ValueError("--start-method sets how local workers start; with --scheduler"
                             " the cluster's workers run the sweep")
        options["start_method"] = args.start_method
    # SIGTERM (kill, a job scheduler) stops the batch as Ctrl-C does: files already
    # written are whole, the workers are shut down, and --resume finishes the sweep.
    signal.signal(signal.SIGTERM, _interrupt)
    if scheduler is None:
        summary = batch.run(sweep, args.out, workers=args.workers, **options)
    else:
        if args.workers is not None:
            raise ValueError("--workers sets local processes; with --scheduler the"
                             " cluster's workers run the sweep")
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install 'cavitation[dask]'") from None
        try:
            _reachable(scheduler)  # a refused connection fails at once, not in 10 s
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise ValueError(f"--scheduler {scheduler}: cannot connect ({err})") from None
        with client:
            summary = batch.run(sweep, args.out, executor=client.get_executor(), **options)
    rate = summary.rendered / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
    print(f"{summary.total} runs: {summary.rendered} rendered in {summary.elapsed_s:.1f} s"
          f" ({rate:.2f}/s), {summary.skipped} already complete, {summary.failed} failed;"
          f" manifest: {summary.manifest}")
    if summary.failed:
        print(f"cavitation {args.command}: {summary.failed} of {summary.total} runs failed;"
              f" see the error column of {summary.manifest}", file=sys.stderr)
        return 1
    return 0


def _check_effective(args: argparse.Namespace) -> None:
    """Options that have no effect with the others given are refused (they would be
    recorded in the JSON as if they had one): ``--lufs`` applies to the loudness level
    only, ``--distance`` to the air listener, ``--model`` to the spherical cavity."""
    if args.lufs is not None and args.level != "loudness":
        raise ValueError(f"--lufs sets the loudness level; it has no effect with --level"
                         f" {args.level}")
    if args.distance is not None and args.listener != "air":
        raise ValueError("--distance sets the air microphone's distance; it has no effect"
                         f" with --listener {args.listener}")
    if getattr(args, "model", None) is not None and args.geometry != "sphere":
        raise ValueError("--model sets the equation of a spherical cavity; it has no effect"
                         f" with --geometry {args.geometry}")


def _air_distance_m(args: argparse.Namespace) -> float:
    """The air microphone's distance [m], ``--distance`` or :class:`AudioSettings`'."""
    return AudioSettings().air_distance_m if args.distance is None else args.distance


def _model(args: argparse.Namespace) -> str:
    """The spherical cavity's equation, ``--model`` or Keller-Miksis."""
    return "keller_miksis" if args.model is None else args.model


def _pack(args: argparse.Namespace) -> int:
    from . import batch

    _check_effective(args)
    sound = {"listener": args.listener,  # the distance always: it is in every run's key
             "air_distance_m": _air_distance_m(args),
             "samplerate_hz": args.samplerate, "format": args.format,
             "subtype": args.subtype, "level": args.level}
    if args.lufs is not None:
        sound["target_loudness_lufs"] = check_range("--lufs", args.lufs, "LUFS", -70.0, 0.0)
    sound |= {key: int(value) if key == "channels" else value
              for key, value in _shape(args).items()}
    sweep = batch.pack_sweep(args.preset, args.count, seed=args.seed, audio=sound,
                             license=args.license)
    # The median person first, writing nothing: a level it cannot meet (a loudness above
    # what its true peak allows) is one error now, not a failure in every run.
    batch.render_centre(sweep)
    status = _run_sweep(sweep, args)
    if args.listen:
        _listen(args.out, sweep.preset)
    return status


#: Waveforms on a pack's contact sheet.
CONTACT_SHEET_SOUNDS = 36


def _listen(out: str, preset: str) -> None:
    """Print how a finished set of sounds spreads, and write its contact sheet."""
    from pathlib import Path

    from . import batch, plot
    from .io import OutputSet, read_audio

    rows = batch.results(out)
    summary = batch.spread(rows)
    print(f"{summary['runs']} sounds: {summary['cracked']} cracked, {summary['silent']}"
          f" silent (no crack), {summary['failed']} failed. Of the cracks, median"
          " (5th-95th percentile):")
    for column, *_ in batch.SPREAD:
        if column in summary:
            label, unit, p5, median, p95 = summary[column]
            unit = unit or next((r.get("audio.level_unit", "") for r in rows
                                 if r["status"] == "ok"), "")
            octaves = (f", {math.log2(p95 / p5):.1f} octaves" if unit == "Hz" and p5 > 0
                       else "")
            print(f"  {label:19s} {median:9.4g} {unit} ({p5:.4g} to {p95:.4g}{octaves})")
    chosen = [row for row in rows if row["status"] == "ok" and row.get("cracked") is True]
    sounds = []
    for row in chosen[:CONTACT_SHEET_SOUNDS]:
        samples, rate, _ = read_audio(Path(out) / row["audio_file"])
        sounds.append((row["name"], samples, rate))
    if sounds:
        figure = plot.contact_sheet(sounds, title=f"{preset}: the first {len(sounds)} of"
                                    f" {summary['cracked']} cracks, at the files' level")
        path = Path(out) / batch.CONTACT_SHEET
        with OutputSet([path], overwrite=True) as outputs:
            outputs.stage(path).write_bytes(plot.figure_bytes(figure, "png", dpi=100))
        print(f"  contact sheet: {path}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(*, fast_exit: bool = True) -> None:
    """The ``cavitation`` program: :func:`main`'s status is the exit status.

    An interrupt that comes once the work is done, while the interpreter exits (and
    joins a batch's pool), is ignored: it would otherwise turn a finished run into a
    killed one. The output is flushed here, so that a write that fails (a full disk)
    is said in one line and fails the run. Then, with ``fast_exit`` and nothing to join
    (no pool, no thread), the process ends at once: the interpreter's own teardown,
    of the compiled code mostly, takes another 0.3 s of a render's 1.3 s. It skips
    ``atexit`` and ``finally`` of a caller, so ``python -m cavitation`` exits the
    ordinary way (``fast_exit=False``), as under ``coverage``. The garbage collector a
    render paused (``_COLLECTOR_PAUSED``) stays paused where the process ends at once,
    and is switched on again otherwise.
    """
    status, paused = _main(None, process_ends=True)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        status = _flush(status)
        if fast_exit and _nothing_to_join():
            os._exit(status)
    finally:  # the ordinary exit: a caller may go on (runpy, python -m in a notebook)
        if paused:
            gc.enable()
    sys.exit(status)


#: Exit status of a run whose output could not be written.
EXIT_OUTPUT = 1


def _flush(status: int) -> int:
    """Flush standard output and error; a failed write of the output is said on standard
    error and makes the status :data:`EXIT_OUTPUT` (a closed pipe, ``| head``, is not a
    failure)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped reading: nothing more to say
        sys.stdout = open(os.devnull, "w")  # the exit flushes it, quietly
    except OSError as err:
        status = status or _output_lost("cavitation", err)
    try:
        sys.stderr.flush()
    except OSError:  # nowhere left to say it
        pass
    return status


def _output_lost(program: str, err: OSError) -> int:
    """Say on standard error that the output could not be written, in one line; standard
    output goes nowhere from then on (else the exit fails on it again). Returns
    :data:`EXIT_OUTPUT`."""
    sys.stdout = open(os.devnull, "w")
    print(f"{program}: error: cannot write the output: {err.strerror or err}",
          file=sys.stderr)
    return EXIT_OUTPUT


#: Modules that mean there may be workers or threads for the interpreter to join at exit.
_JOINED_AT_EXIT = ("concurrent.futures.process", "concurrent.futures.thread",
                   "multiprocessing.pool", "distributed")


def _nothing_to_join() -> bool:
    """Whether the program ran in this thread alone, with no pool of workers: then its
    exit has nothing to wait for."""
    import threading

    return (threading.active_count() == 1
            and not any(name in sys.modules for name in _JOINED_AT_EXIT))


#: Commands run with the cyclic garbage collector paused: one render is a short job
#: that leaves little cyclic garbage (3 MB more at its peak warm, about 50 MB more on a
#: first run, while it compiles), and the collector's passes over the objects of
#: numba's compiled code and of matplotlib cost 0.1-0.2 s of it.
_COLLECTOR_PAUSED = ("render",)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    return _main(argv, process_ends=False)[0]


def _main(argv: Sequence[str] | None, *, process_ends: bool) -> tuple[int, bool]:
    """:func:`main`'s status, and whether the collector is left paused: with
    ``process_ends`` (the ``cavitation`` program, :func:`run`) a paused collector stays
    paused, for :func:`run` to switch on again if the process goes on after all (its
    first pass takes in all that the command made, 0.08 s of a render)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    paused = args.command in _COLLECTOR_PAUSED and gc.isenabled()
    if paused:
        gc.disable()
    try:
        status = _command(args)
    except BaseException:  # an error that escapes: whoever catches it goes on
        if paused:
            gc.enable()
        raise
    if paused and not process_ends:
        gc.enable()
    return status, paused and process_ends


def _command(args: argparse.Namespace) -> int:
    """Run the parsed command; its errors as one line on standard error and the status."""
    try:
        commands = {"presets": _presets, "batch": _batch, "render": _render,
                    "pack": _pack, "pulls": _pulls, "validate": _validate}
        return commands[args.command](args)
    except KeyboardInterrupt:
        again = " --resume finishes it." if args.command in ("batch", "pack") else ""
        print(f"\ncavitation {args.command}: interrupted; every file written is whole.{again}",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (| head)
        sys.stdout = open(os.devnull, "w")  # silence the flush at exit
        return 0
    except OutputExistsError as err:
        hint = (" (--overwrite replaces them)" if args.command == "render"
                and not args.overwrite and not isinstance(err, FolderInTheWayError) else "")
        print(f"cavitation {args.command}: error: {err}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except ClippingError as err:
        hint = ("--lufs sets it; or --level normalised" if getattr(args, "level", "") ==
                "loudness" else "--full-scale sets it; or --level normalised")
        print(f"cavitation {args.command}: error: {err} ({hint})", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        where = getattr(args, "out", None)
        if where is None:  # a command that writes to standard output only
            return _output_lost(f"cavitation {args.command}", err)
        print(f"cavitation {args.command}: error: cannot write to --out {where}:"
              f" {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as err:
        print(f"cavitation {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
