"""Figures of a crack: each plot takes a result, draws on an optional ``ax``, returns it.

The only module that imports matplotlib. It uses ``matplotlib.figure.Figure``
directly, never ``pyplot``, so it needs no display and never calls ``show()``.
:func:`dashboard` builds the whole story in one Figure.
"""

from __future__ import annotations

import io as _io

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import signal

from . import confined, detection, listener
from .parameters import check_choice
from .render import Rendering, travel_time_s
from .simulation import CrackResult

__all__ = [
    "FIGURE_FORMATS",
    "SIDE_COLOURS",
    "SWEEP_FIGURES",
    "dashboard",
    "figure_bytes",
    "plot_load_and_gap",
    "plot_pops_per_thrust",
    "plot_pressure",
    "plot_radiated",
    "plot_radius",
    "plot_sites",
    "plot_spectrogram",
    "plot_spectrum",
    "plot_sweep",
    "plot_waveform",
]

FIGURE_FORMATS = ("png", "svg")
"""Formats :func:`figure_bytes` writes."""

#: How much of the crack the zoomed plots show after nucleation [s].
ZOOM_S = 15e-3


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else Figure(figsize=(6, 3.5), layout="constrained").add_subplot()


def _mono(rendering: Rendering) -> np.ndarray:
    """The sound as one channel, in the listener's unit: stereo channels summed."""
    x = rendering.signal
    return x if x.ndim == 1 else x.sum(axis=1)


def _ms_after_crack(result: CrackResult) -> tuple[np.ndarray, np.ndarray]:
    """Time since nucleation [ms] and the mask of the zoom window."""
    t0 = result.summary.crack_time_s if result.cracked else result.t_s[-1]
    t_ms = (result.t_s - t0) * 1e3
    return t_ms, (t_ms >= -1.0) & (t_ms <= ZOOM_S * 1e3)


def plot_load_and_gap(result: CrackResult, ax: Axes | None = None) -> Axes:
    """Distraction force [N] and joint gap [mm] over the whole pull."""
    ax = _axes(ax)
    ax.plot(result.t_s, result.force_n, color="tab:blue")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("distraction force [N]", color="tab:blue")
    gap = ax.twinx()
    gap.plot(result.t_s, result.gap_m * 1e3, color="tab:orange")
    gap.set_ylabel("gap [mm]", color="tab:orange")
    if result.cracked:
        ax.axvline(result.summary.crack_time_s, color="0.5", lw=0.8, ls=":")
    ax.set_title("load and gap")
    return ax


def plot_pressure(result: CrackResult, ax: Axes | None = None) -> Axes:
    """Absolute fluid pressure [kPa] around the crack, with the nucleation threshold."""
    ax = _axes(ax)
    t_ms, zoom = _ms_after_crack(result)
    ax.plot(t_ms[zoom], result.pressure_pa[zoom] / 1e3, color="tab:purple")
    confined_cavity = result.settings.get("geometry") == "confined"
    ax.axhline(result.joint.nucleation.pressure_pa / 1e3, color="tab:red", ls="--", lw=1,
               label="nucleation threshold" + (" (at the film's centre)" if confined_cavity
                                               else ""))
    ax.axhline(result.joint.fluid.vapour_pressure_pa / 1e3, color="0.5", ls=":", lw=1,
               label="vapour pressure")
    ax.set_xlabel("time after nucleation [ms]")
    ax.set_ylabel("capsule's fluid pressure [kPa, absolute]")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("synovial fluid pressure in the capsule")
    return ax


def plot_radius(result: CrackResult, ax: Axes | None = None) -> Axes:
    """The cavity [mm] in the gap around the crack, with its maxima and minima marked.

    A confined cavity is drawn by its in-plane radius against the contact radius (the
    disc it spreads in); a spherical one by its radius. The gap between the articular
    surfaces is drawn with either, so a sphere wider than its gap shows as one.
    """
    ax = _axes(ax)
    t_ms, zoom = _ms_after_crack(result)
    confined_cavity = result.settings.get("geometry") == "confined"
    if confined_cavity:
        a = np.sqrt(result.joint.area_m2 / np.pi)
        extent = confined.in_plane_radius(result.cavity_volume_m3, result.gap_m, a)
        ax.plot(t_ms[zoom], extent[zoom] * 1e3, color="tab:green",
                label="cavity: in-plane radius")
        ax.axhline(a * 1e3, color="tab:green", ls="--", lw=0.8, label="contact radius")
    else:
        extent = result.radius_m
        ax.plot(t_ms[zoom], extent[zoom] * 1e3, color="tab:green", label="cavity: radius")
    ax.plot(t_ms[zoom], result.gap_m[zoom] * 1e3, color="tab:orange", label="gap")
    if result.cracked:
        t0 = result.summary.crack_time_s
        for times, marker, label in ((result.events.max_radius_s, "^", "volume maximum"),
                                     (result.events.collapse_s, "v", "volume minimum")):
            shown = times[times - t0 <= ZOOM_S]
            ax.plot((shown - t0) * 1e3, np.interp(shown, result.t_s, extent) * 1e3, marker,
                    ms=4, ls="none", label=label)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel("time after nucleation [ms]")
    ax.set_ylabel("cavity and gap [mm]")
    ax.set_title(f"{'confined' if confined_cavity else 'spherical'} cavity in the gap")
    return ax


def plot_radiated(result: CrackResult, ax: Axes | None = None) -> Axes:
    """Radiated pressure in the fluid at the simulation's distance [kPa], zoomed."""
    ax = _axes(ax)
    t_ms, zoom = _ms_after_crack(result)
    ax.plot(t_ms[zoom], result.radiated_pressure_pa[zoom] / 1e3, color="tab:brown", lw=0.8)
    ax.set_xlabel("time after nucleation [ms]")
    ax.set_ylabel(f"pressure at {result.settings['distance_m'] * 1e3:g} mm [kPa]")
    ax.set_title(f"radiated pressure ({result.settings['source']})")
    return ax


#: The waveform is shown from this long before the first crack [s] ...
WAVEFORM_BEFORE_S = 2e-3
#: ... to this long after the last one [s].
WAVEFORM_AFTER_S = 25e-3


def _heard_window_ms(rendering: Rendering) -> tuple[float, float]:
    """Where the sound is, in ms after the first crack: from a little before its first
    crack reaches the listener (a microphone 100 m away hears it 0.29 s later) to a
    while after its last crack does."""
    cracked = [c for c in rendering.cracks if c.cracked]
    t0 = _first_crack_s(rendering)
    delays = [travel_time_s(c, rendering.listener, rendering.settings) for c in cracked]
    first = min(delays)
    last = max(c.summary.crack_time_s - t0 + d for c, d in zip(cracked, delays, strict=True))
    return ((first - WAVEFORM_BEFORE_S) * 1e3, (last + WAVEFORM_AFTER_S) * 1e3)


def plot_waveform(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """The listener's signal (pressure [Pa] or acceleration [m/s^2]) around the cracks,
    at the audio rate."""
    ax = _axes(ax)
    cracked = any(c.cracked for c in rendering.cracks)
    t_ms = (rendering.t_s - _first_crack_s(rendering)) * 1e3
    if cracked:
        ax.set_xlim(*_heard_window_ms(rendering))
    if rendering.signal.ndim == 1:
        ax.plot(t_ms, rendering.signal, color=SIDE_COLOURS["center"], lw=0.6)
    else:
        for channel, name in enumerate(("left", "right")):
            ax.plot(t_ms, rendering.signal[:, channel], color=SIDE_COLOURS[name], lw=0.6,
                    label=name, alpha=0.8)
        ax.legend(loc="upper right", fontsize="small")
    ax.set_xlabel("time after the first crack [ms]" if cracked else "time [ms]")
    ax.set_ylabel(f"{_quantity(rendering)} at the {rendering.listener} listener"
                  f" [{rendering.unit}]")
    ax.set_title(f"waveform, {rendering.samplerate_hz / 1e3:g} kHz")
    return ax


#: Spectrogram frames [s]: 8 ms resolves 125 Hz, enough for the neck's 200-300 Hz pops
#: (a 2 ms frame's 500 Hz bins could not), and smears a 3 ms pop over a frame.
SPECTROGRAM_FRAME_S = 8e-3


def plot_spectrogram(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """Spectrogram [dB re the listener's reference] of the sound at the listener, on a
    logarithmic frequency axis, against time after the first crack as the waveform."""
    ax = _axes(ax)
    fs = rendering.samplerate_hz
    nperseg = round(SPECTROGRAM_FRAME_S * fs)
    f, t, power = signal.spectrogram(_mono(rendering), fs=fs, nperseg=nperseg,
                                     noverlap=nperseg * 7 // 8, nfft=4 * nperseg,
                                     scaling="spectrum")
    reference, reference_text = listener.LEVEL_REFERENCES[rendering.listener]
    level = 10.0 * np.log10(np.maximum(power, 1e-30) / reference**2)
    top = level.max()
    t0 = _first_crack_s(rendering) - rendering.start_s  # spectrogram times start at 0
    keep = f >= 20.0
    mesh = ax.pcolormesh((t - t0) * 1e3, f[keep], level[keep], vmin=top - 80, vmax=top,
                         shading="auto", cmap="magma")
    ax.set_yscale("log")
    if any(c.cracked for c in rendering.cracks):
        ax.set_xlim(*_heard_window_ms(rendering))
    ax.figure.colorbar(mesh, ax=ax, label=f"level [dB re {reference_text}]")
    ax.set_xlabel("time after the first crack [ms]")
    ax.set_ylabel("frequency [Hz]")
    ax.set_title(f"spectrogram ({SPECTROGRAM_FRAME_S * 1e3:g} ms frames)")
    return ax


def plot_spectrum(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """Magnitude spectrum [dB re its peak] with the dominant frequency marked.

    Relative, because the spectrum level of a short burst depends on how long the
    analysed file is; the absolute level is the peak level in the features.
    """
    ax = _axes(ax)
    fs = rendering.samplerate_hz
    x = _mono(rendering)
    spectrum = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(x.size, 1.0 / fs)
    keep = f >= 20.0
    top = float(spectrum[keep].max()) if np.any(keep) else 0.0
    ax.set_xlabel("frequency [Hz]")
    ax.set_ylabel("magnitude [dB re peak]")
    ax.set_title("spectrum")
    if top == 0.0:  # nothing cracked: nothing to draw, and no log of zero
        ax.text(0.5, 0.5, "silence: no crack", transform=ax.transAxes, ha="center")
        return ax
    ax.semilogx(f[keep], 20.0 * np.log10(np.maximum(spectrum[keep], 1e-30 * top) / top),
                color="tab:blue", lw=0.8)
    ax.set_ylim(-100.0, 5.0)  # 100 dB: below that, only the resampling filter's floor
    dominant = rendering.features.dominant_frequency_hz
    if np.isfinite(dominant):
        ax.axvline(dominant, color="tab:red", ls="--", lw=1,
                   label=f"dominant {dominant:.0f} Hz")
        ax.legend(loc="lower left", fontsize="small")
    return ax


SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red", "center": "k"}
"""The colour of each side in every figure."""


def _first_crack_s(rendering: Rendering) -> float:
    """When the first joint cracked [s]; the first sample's time if none did."""
    times = [c.summary.crack_time_s for c in rendering.cracks if c.cracked]
    return min(times) if times else rendering.t_s[0]


def _quantity(rendering: Rendering) -> str:
    """What the listener's signal is: ``"pressure"`` or ``"acceleration"``."""
    return "acceleration" if rendering.unit == "m/s^2" else "pressure"


def plot_sites(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """When each joint cracked, one row per joint, with the pops heard above them.

    Filled markers: a joint's crack, in its side's colour. Open triangles on the top
    row: the pops the detector (:func:`cavitation.detection.detect`) hears on each
    side's channel. Time is after the first crack [ms].
    """
    ax = _axes(ax)
    t0 = _first_crack_s(rendering)
    labels = list(rendering.labels)
    for row, (crack, side) in enumerate(zip(rendering.cracks, rendering.sides, strict=True)):
        if crack.cracked:
            ax.plot((crack.summary.crack_time_s - t0) * 1e3, row, "o", ms=8,
                    color=SIDE_COLOURS[side])
    pops = detection.detect(rendering.signal, rendering.samplerate_hz, rendering.start_s)
    heard_row = len(labels)
    for side in dict.fromkeys(pops.sides):
        times = [t for t, s in zip(pops.times_s, pops.sides, strict=True) if s == side]
        offset = {"left": -0.2, "right": 0.2}.get(side, 0.0)  # both visible at one time
        ax.plot((np.array(times) - t0) * 1e3, [heard_row + offset] * len(times), "v", ms=9,
                mfc="none", color=SIDE_COLOURS[side], label=f"heard, {side}")
    ax.set_yticks(range(heard_row + 1), [*labels, f"pops heard ({pops.count})"])
    ax.set_ylim(heard_row + 0.7, -0.7)
    ax.grid(axis="x", color="0.9")
    ax.set_xlabel("time after the first crack [ms]")
    ax.set_title(f"cracks per joint ({sum(c.cracked for c in rendering.cracks)} of"
                 f" {len(labels)}) and pops heard")
    return ax


def _scenario_dashboard(rendering: Rendering) -> Figure:
    """Several joints: the raster of their cracks, each side's waveform, the spectrum."""
    figure = Figure(figsize=(12, 9), layout="constrained")
    grid = figure.add_gridspec(3, 2, height_ratios=(1.3, 1, 1))
    plot_sites(rendering, figure.add_subplot(grid[0, :]))
    t0 = _first_crack_s(rendering)
    t_ms = (rendering.t_s - t0) * 1e3
    sides = ("left", "right") if rendering.signal.ndim == 2 else ("center",)
    top = float(np.max(np.abs(rendering.signal))) or 1.0
    first = None
    for row, side in enumerate(sides):
        ax = figure.add_subplot(grid[1 + row, 0], sharex=first, sharey=first)
        first = first or ax
        x = rendering.signal if side == "center" else rendering.signal[:, row]
        ax.plot(t_ms, x, color=SIDE_COLOURS[side], lw=0.6)
        ax.set_ylim(-1.1 * top, 1.1 * top)
        ax.set_ylabel(f"{side} {_quantity(rendering)} [{rendering.unit}]")
        ax.set_title(f"{side} channel, {rendering.listener} listener")
    if first is not None and any(c.cracked for c in rendering.cracks):
        first.set_xlim(*_heard_window_ms(rendering))
    ax.set_xlabel("time after the first crack [ms]")
    plot_spectrum(rendering, figure.add_subplot(grid[1, 1]))
    plot_spectrogram(rendering, figure.add_subplot(grid[2, 1]))
    return figure


def dashboard(rendering: Rendering) -> Figure:
    """The whole crack in one Figure: load, pressure, cavity, radiation and sound.

    For several joints (a scenario), the cracks of every joint, each side's waveform,
    the spectrum and the spectrogram.
    """
    if len(rendering.cracks) > 1:
        return _scenario_dashboard(rendering)
    figure = Figure(figsize=(12, 11), layout="constrained")
    axes = figure.subplots(4, 2)
    crack = rendering.crack
    plot_load_and_gap(crack, axes[0, 0])
    plot_pressure(crack, axes[0, 1])
    plot_radius(crack, axes[1, 0])
    plot_radiated(crack, axes[1, 1])
    plot_waveform(rendering, axes[2, 0])
    plot_spectrum(rendering, axes[2, 1])
    plot_spectrogram(rendering, axes[3, 0])
    axes[3, 1].axis("off")
    s, f = crack.summary, rendering.features
    label = rendering.labels[rendering.cracks.index(crack)]
    lines = [f"joint: {label}" + (f" (first of {len(rendering.cracks)} joints;"
                                  f" {sum(c.cracked for c in rendering.cracks)} cracked)"
                                  if len(rendering.cracks) > 1 else ""),
             f"cracked: {s.cracked}"]
    if s.cracked:
        lines += [f"crack at {s.crack_time_s:.4f} s, {s.nucleation_force_n:.1f} N",
                  f"gap jump {s.gap_jump_m * 1e3:.2f} mm",
                  f"{crack.settings.get('geometry', 'sphere')} cavity: at most"
                  f" {2 * s.max_radius_m * 1e3:.2f} mm across as a sphere",
                  "first volume minimum " + (
                      "none in the window" if np.isnan(s.first_collapse_time_s) else
                      f"{(s.first_collapse_time_s - s.crack_time_s) * 1e3:.2f} ms after"
                      " nucleation"),
                  f"gas left {s.residual_radius_m * 1e3:.2f} mm"
                  f" ({100 * s.residual_co2_fraction:.0f} % CO2), dissolved in"
                  f" {s.refractory_time_s / 60:.0f} min"]
    lines += [f"listener: {rendering.listener}",
              f"peak {f.peak_level_db:.1f} {rendering.level_unit}",
              f"dominant {f.dominant_frequency_hz:.0f} Hz,"
              f" centroid {f.spectral_centroid_hz:.0f} Hz",
              f"duration (-20 dB) {f.duration_s * 1e3:.1f} ms; pops heard: {f.pop_count},"
              f" {f.pop_duration_s * 1e3:.1f} ms each"]
    axes[3, 1].text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=9)
    return figure


def figure_bytes(figure: Figure, file_format: str) -> bytes:
    """The figure as PNG or SVG bytes; the same figure gives the same bytes."""
    check_choice("figure format", file_format, FIGURE_FORMATS)
    buffer = _io.BytesIO()
    # No date in the file, and fixed SVG element ids: reproducible output.
    with mpl.rc_context({"svg.hashsalt": "cavitation"}):
        metadata = {"Date": None} if file_format == "svg" else {}
        figure.savefig(buffer, format=file_format, dpi=100, metadata=metadata)
    return buffer.getvalue()


def contact_sheet(sounds: list[tuple[str, np.ndarray, int]], *, columns: int = 6,
                  title: str = "") -> Figure:
    """Small waveforms of many sounds, one panel each, for a look at a whole set.

    Parameters
    ----------
    sounds : list of (name, samples, samplerate_hz)
        Each sound's name, its digital samples (mono, or the channels' mean) and its
        rate [Hz].
    columns : int, optional
        Panels per row.
    title : str, optional
        The figure's title.

    Returns
    -------
    Figure
        Each panel: the samples against time in ms after the sound's loudest sample,
        all on one amplitude scale (digital full scale), so louder sounds look louder.
    """
    rows = max(1, -(-len(sounds) // columns))
    figure = Figure(figsize=(2.0 * columns, 1.2 * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for ax in axes.flat[len(sounds):]:
        ax.set_axis_off()
    for ax, (name, samples, rate) in zip(axes.flat, sounds, strict=False):
        mono = samples if samples.ndim == 1 else samples.mean(axis=1)
        t_ms = (np.arange(mono.size) - int(np.argmax(np.abs(mono)))) / rate * 1e3
        ax.plot(t_ms, mono, lw=0.5, color="C0")
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0, 0].set_xlim(-10.0, 30.0)
    axes[0, 0].set_ylim(-1.0, 1.0)
    for ax in axes[-1]:
        ax.set_xlabel("ms after the peak", fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("digital", fontsize=7)
    if title:
        figure.suptitle(title, fontsize=9)
    return figure


SWEEP_FIGURES = (
    ("summary", "nucleation_force_n", "crack force [N]", 1.0),
    ("summary", "gap_jump_m", "gap jump [mm]", 1e3),
    ("features", "peak_level_db", "peak level [dB re the listener's reference]", 1.0),
    ("features", "dominant_frequency_hz", "dominant frequency [Hz]", 1.0),
)
"""What :func:`plot_sweep` draws: (section, key, axis label with unit, scale)."""


def plot_sweep(rows: list[dict], parameter: str, *, label: str | None = None,
               scale: float = 1.0, references: dict[str, tuple[float, str]] | None = None
               ) -> Figure:
    """How crack force, gap jump, loudness and pitch change along one swept parameter.

    Parameters
    ----------
    rows : list of dict
        :func:`cavitation.batch.results` of a sweep along ``parameter``.
    parameter : str
        The swept parameter's name (a manifest column).
    label : str, optional
        Axis label for it, with its unit; the name by default.
    scale : float, optional
        Factor on the parameter's values for display.
    references : dict, optional
        ``{key: (value in SI, text)}``: a published figure drawn as a dashed line on the
        panel of that key (``"gap_jump_m"``, ...).

    Returns
    -------
    Figure
        Four panels. Force, gap and frequency start at zero and levels span at least
        10 dB, so that a change of 0.1 % does not look like one of 100 %.
    """
    ok = [r for r in rows if r["status"] == "ok"]
    x = np.array([r[parameter] for r in ok]) * scale
    figure = Figure(figsize=(15, 3.4), layout="constrained")
    axes = figure.subplots(1, len(SWEEP_FIGURES))
    for ax, (section, key, unit, k) in zip(axes, SWEEP_FIGURES, strict=True):
        y = np.array([np.nan if r[section][key] is None else r[section][key] * k for r in ok])
        ax.plot(x, y, "o-")
        top = np.nanmax(y) if np.any(np.isfinite(y)) else 1.0
        if key == "peak_level_db":
            ax.set_ylim(np.nanmin(y) - 5.0, top + 5.0)
        else:
            ax.set_ylim(0.0, 1.2 * top)
        if references and key in references:
            value, text = references[key]
            ax.axhline(value * k, color="tab:red", ls="--", lw=1, label=text)
            ax.legend(loc="lower right", fontsize="small")
        if x.size and x.min() > 0 and x.max() / x.min() > 20:
            ax.set_xscale("log")
        ax.set_xlabel(label or parameter)
        ax.set_ylabel(unit)
    return figure


def plot_pops_per_thrust(counts: np.ndarray, ax: Axes | None = None, *,
                         published_counts: dict[int, int] | None = None,
                         published_mean: float | None = None,
                         published_interval: tuple[float, float] | None = None,
                         published_range: tuple[int, int] | None = None,
                         title: str = "") -> Axes:
    """The distribution of pops per thrust over a group, beside what a study published.

    Parameters
    ----------
    counts : ndarray
        Pops per thrust, one per person [count].
    ax : Axes, optional
        Where to draw.
    published_counts : dict, optional
        ``{pops: people}`` as published: drawn as outlined bars.
    published_mean : float, optional
        The published mean: a dashed line, with ``published_interval`` shaded.
    published_range : (int, int), optional
        The published range: a bracket under the bars.
    title : str, optional
        The panel's title.
    """
    ax = _axes(ax)
    top = int(max(counts.max(), *(published_counts or {0: 0}), *(published_range or (0,))))
    bins = np.arange(top + 1)
    share = np.array([np.mean(counts == k) for k in bins]) * 100.0
    ax.bar(bins - 0.2, share, width=0.4, color="tab:green", label=f"model, {counts.size} people")
    if published_counts:
        total = sum(published_counts.values())
        ax.bar(bins + 0.2, [100.0 * published_counts.get(int(k), 0) / total for k in bins],
               width=0.4, fill=False, edgecolor="k", label="published")
    ax.axvline(counts.mean(), color="tab:green", lw=1.5,
               label=f"model mean {counts.mean():.2f}")
    if published_mean is not None:
        ax.axvline(published_mean, color="k", ls="--", lw=1.5,
                   label=f"published mean {published_mean:.2f}")
    if published_interval is not None:
        ax.axvspan(*published_interval, color="0.6", alpha=0.3, label="published 95 % CI")
    if published_range is not None:
        low, high = published_range
        ax.errorbar([(low + high) / 2], [-3.0], xerr=[(high - low) / 2], color="k", capsize=4,
                    label=f"published range {low}-{high}")
    ax.set_xticks(bins)
    ax.set_xlabel("pops per thrust")
    ax.set_ylabel("thrusts [%]")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper right")
    return ax
