"""Figures of a crack: each plot takes a result, draws on an optional ``ax``, returns it.

The only module that imports matplotlib. It uses :class:`RichFigure`, a
``matplotlib.figure.Figure`` that shows itself in any notebook (JupyterLab, classic
Notebook, VS Code, nbconvert's HTML) with no ``pyplot`` and no ``%matplotlib inline``,
so it needs no display and never calls ``show()``. :func:`dashboard` builds the whole
story in one figure the width of a journal's double column.

Every time axis of a crack has one origin: its nucleation (the first joint's, for
several joints), in milliseconds; a pull that does not crack is timed from its start.
"""

from __future__ import annotations

import functools
import io as _io
import sys
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
import matplotlib.ticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import _dsp, audio, confined, detection, listener
from .parameters import check_choice
from .render import FIGURE_FORMATS, Rendering, travel_time_s
from .simulation import CrackResult

P = ParamSpec("P")
T = TypeVar("T")

__all__ = [
    "COLLAPSE_FALL",
    "DOUBLE_COLUMN_IN",
    "FIGURE_FORMATS",
    "SIDE_COLOURS",
    "SOURCE_WORDS",
    "STYLE",
    "SWEEP_FIGURES",
    "CompactView",
    "RichFigure",
    "collapses_and_rebounds",
    "contact_sheet",
    "dashboard",
    "figure_bytes",
    "listener_words",
    "new_figure",
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
    "show_axes_in_ipython",
]

FIGURE_FORMATS = FIGURE_FORMATS
"""Formats :func:`figure_bytes` writes (:data:`cavitation.render.FIGURE_FORMATS`)."""

#: How much of the crack the zoomed plots show after nucleation [s].
ZOOM_S = 15e-3

DOUBLE_COLUMN_IN = 7.2
"""Width of the dashboard [in]: a journal's double column (174-183 mm)."""

STYLE: dict[str, Any] = {"font.size": 8.0, "axes.titlesize": 8.0, "axes.labelsize": 8.0,
         "xtick.labelsize": 7.0, "ytick.labelsize": 7.0, "legend.fontsize": 6.5,
         "figure.titlesize": 9.0, "lines.linewidth": 1.0}
"""Font sizes [pt] of every figure: 7-9 pt, legible at a journal column's width."""


class RichFigure(Figure):
    """A ``matplotlib.figure.Figure`` that a notebook shows as its PNG, with no pyplot.

    IPython asks an object for ``_repr_png_``; a plain Figure shows as its text
    ``<Figure size ...>`` unless pyplot's inline backend happens to be active.
    """

    def _repr_png_(self) -> bytes:
        return figure_bytes(self, "png")


def new_figure(width_in: float, height_in: float) -> RichFigure:
    """An empty :class:`RichFigure` of that size [in], laid out by matplotlib's
    constrained layout."""
    return RichFigure(figsize=(width_in, height_in), layout="constrained")


def show_axes_in_ipython(shell: Any = None) -> bool:
    """Have IPython show an Axes that a function here drew on a figure of its own as
    that figure's PNG (``plot.plot_spectrum(r)`` at the end of a cell), not as the text
    ``<Axes: ...>``; other Axes are left as they were. Done on import, in IPython.

    Parameters
    ----------
    shell : IPython shell, optional
        The running one by default.

    Returns
    -------
    bool
        Whether there was a shell to tell.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False

    def png(ax: Axes) -> bytes | None:
        return figure_bytes(ax.figure, "png") if isinstance(ax.figure, RichFigure) else None

    shell.display_formatter.formatters["image/png"].for_type(Axes, png)
    return True


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else new_figure(3.5, 2.6).add_subplot()


def _styled(draw: Callable[P, T]) -> Callable[P, T]:
    """``draw`` with the package's :data:`STYLE`: matplotlib reads font sizes when
    a text is made, so the whole drawing runs inside it."""

    @functools.wraps(draw)
    def styled(*args: P.args, **kwargs: P.kwargs) -> T:
        given = next((a for a in (*args, *kwargs.values()) if isinstance(a, Axes)), None)
        before = set(given.figure.axes) if given is not None else set()
        with mpl.rc_context(STYLE):  # type: ignore[arg-type]  # str keys, not Literal
            drawn = draw(*args, **kwargs)
        # Tick labels are made when the figure is drawn, after the context: set theirs,
        # on the axes drawn here only (a twin, a colour bar), not the caller's others.
        if isinstance(drawn, Figure):
            drawn_on = list(drawn.axes)
        elif isinstance(drawn, Axes):
            drawn_on = [drawn, *(a for a in drawn.figure.axes if a not in before)]
        else:
            drawn_on = []
        for ax in drawn_on:
            ax.tick_params(labelsize=STYLE["xtick.labelsize"])
        return drawn

    return styled


#: Ticks of a logarithmic frequency axis [Hz]: labelled plainly ("2k"), which reads
#: better than 10^3 and draws faster than mathtext.
FREQUENCY_TICKS_HZ = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)


def _frequency_axis(ax: Axes, which: str, low_hz: float, high_hz: float) -> None:
    """A logarithmic frequency axis (``which``: "x" or "y") from ``low_hz`` to
    ``high_hz`` [Hz], plainly labelled at :data:`FREQUENCY_TICKS_HZ`, no minor ticks."""
    ticks = [f for f in FREQUENCY_TICKS_HZ if low_hz <= f <= high_hz]
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    (ax.set_xlim if which == "x" else ax.set_ylim)(low_hz, high_hz)
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(mpl.ticker.FixedLocator(ticks))
    axis.set_major_formatter(mpl.ticker.FuncFormatter(
        lambda f, _: f"{f / 1000:g}k" if f >= 1000 else f"{f:g}"))
    axis.set_minor_locator(mpl.ticker.NullLocator())


def _panel(ax: Axes, letter: str, title: str) -> None:
    """The panel's title at its left, after its letter in bold."""
    ax.set_title("")
    ax.set_title(f"$\\bf{{{letter}}}$  {title}", loc="left")


def _origin_s(cracks: Sequence[CrackResult]) -> tuple[float, str]:
    """The one time origin of every figure [s] and the time axis's label: the first
    nucleation, or the start of the pull if no joint cracked."""
    times = [c.summary.crack_time_s for c in cracks if c.cracked]
    if not times:
        return 0.0, "time from the start of the pull [ms]"
    return min(times), ("time after nucleation [ms]" if len(cracks) == 1 else
                        "time after the first nucleation [ms]")


def _mono(rendering: Rendering) -> np.ndarray:
    """The sound as one channel, in the listener's unit: stereo channels summed."""
    x = rendering.signal
    return x if x.ndim == 1 else x.sum(axis=1)


def _ms_after_crack(result: CrackResult) -> tuple[np.ndarray, np.ndarray]:
    """Time after nucleation [ms] and the mask of the zoom window: the whole pull if it
    did not crack."""
    t0, _ = _origin_s([result])
    t_ms = (result.t_s - t0) * 1e3
    if not result.cracked:
        return t_ms, np.ones(t_ms.shape, bool)
    return t_ms, (t_ms >= -1.0) & (t_ms <= ZOOM_S * 1e3)


@_styled
def plot_load_and_gap(result: CrackResult, ax: Axes | None = None) -> Axes:
    """Distraction force [N] and joint gap [mm] over the whole pull."""
    ax = _axes(ax)
    t0, time_label = _origin_s([result])
    t_ms = (result.t_s - t0) * 1e3
    ax.plot(t_ms, result.force_n, color="tab:blue")
    ax.set_xlabel(time_label)
    ax.set_ylabel("pulling force [N]", color="tab:blue")
    gap = ax.twinx()
    gap.plot(t_ms, result.gap_m * 1e3, color="tab:orange")
    gap.set_ylabel("gap between the surfaces [mm]", color="tab:orange")
    if result.cracked:
        ax.axvline(0.0, color="0.5", lw=0.8, ls=":")
    ax.set_title("the pull: force and gap")
    return ax


@_styled
def plot_pressure(result: CrackResult, ax: Axes | None = None) -> Axes:
    """Absolute fluid pressure [kPa] in the capsule, with the nucleation threshold.

    Around the crack if it cracked; over the whole pull if not, with how far short of
    the threshold the pressure fell.
    """
    ax = _axes(ax)
    t_ms, zoom = _ms_after_crack(result)
    _, time_label = _origin_s([result])
    kpa = result.pressure_pa / 1e3
    ax.plot(t_ms[zoom], kpa[zoom], color="tab:purple", label="in the capsule")
    threshold_kpa = result.joint.nucleation.pressure_pa / 1e3
    confined_cavity = result.settings.get("geometry") == "confined"
    ax.axhline(threshold_kpa, color="tab:red", ls="--", lw=1,
               label="threshold" + (" (film's centre)" if confined_cavity else ""))
    ax.axhline(result.joint.fluid.vapour_pressure_pa / 1e3, color="0.5", ls=":", lw=1,
               label="vapour pressure")
    # Room under the lowest line for the legend, so that it hides none (at the centre
    # right it hid a spherical cavity's ringing).
    low_kpa = min(threshold_kpa, float(kpa[zoom].min()))
    top_kpa = max(float(kpa[zoom].max()), result.joint.fluid.vapour_pressure_pa / 1e3)
    ax.set_ylim(low_kpa - 0.45 * (top_kpa - low_kpa), top_kpa + 0.08 * (top_kpa - low_kpa))
    if not result.cracked:
        lowest = float(kpa.min())
        ax.annotate(f"no crack: lowest {lowest:.0f} kPa,\n{lowest - threshold_kpa:.0f} kPa"
                    " short of the threshold",
                    (float(t_ms[np.argmin(kpa)]), lowest), xytext=(0.97, 0.45),
                    textcoords="axes fraction", ha="right", va="center", color="tab:red",
                    arrowprops={"arrowstyle": "->", "color": "tab:red"})
    ax.set_xlabel(time_label)
    ax.set_ylabel("pressure [kPa, absolute]")
    ax.legend(loc="lower right" if result.cracked else "lower left", fontsize="small")
    ax.set_title("synovial fluid pressure")
    return ax


COLLAPSE_FALL = 0.25
"""A minimum of the cavity's volume is drawn as a collapse when the volume falls by at
least this share of the maximum before it, and the maximum after a collapse as a
rebound; smaller swings are the cavity ringing, and are not marked."""


#: At most this many collapses, and as many rebounds, are marked: a sphere ringing in a
#: wide gap collapses and rebounds dozens of times.
MARKED = 3


def collapses_and_rebounds(result: CrackResult) -> tuple[np.ndarray, np.ndarray]:
    """Times [s] of the collapses and of the rebounds (:data:`COLLAPSE_FALL`).

    The first maximum ends the growth; every later maximum that follows a collapse is
    a rebound.
    """
    maxima, minima = result.events.max_radius_s, result.events.collapse_s
    volume = np.interp(minima, result.t_s, result.cavity_volume_m3)
    before = np.array([np.interp(maxima[maxima < t][-1], result.t_s, result.cavity_volume_m3)
                       if np.any(maxima < t) else np.nan for t in minima])
    collapses = minima[volume <= (1.0 - COLLAPSE_FALL) * before]
    rebounds = np.array([t for t in maxima[1:] if np.any((collapses < t)
                         & (collapses > maxima[maxima < t][-1]))] if maxima.size else [])
    return collapses, rebounds


def _cavity_extent(result: CrackResult) -> np.ndarray:
    """The cavity's size [m]: a confined cavity's in-plane radius, a sphere's radius."""
    if result.settings.get("geometry") == "confined":
        a = np.sqrt(result.joint.area_m2 / np.pi)
        return confined.in_plane_radius(result.cavity_volume_m3, result.gap_m, a)
    return result.radius_m


@_styled
def plot_radius(result: CrackResult, ax: Axes | None = None) -> Axes:
    """The cavity [mm] in the gap around the crack, with its collapses and rebounds.

    A confined cavity is drawn by its in-plane radius against the contact radius (the
    disc it spreads in); a spherical one by its radius. The gap between the articular
    surfaces is drawn with either, so a sphere wider than its gap shows as one.
    Collapses and rebounds are marked as :func:`collapses_and_rebounds` finds them.
    """
    ax = _axes(ax)
    t_ms, zoom = _ms_after_crack(result)
    _, time_label = _origin_s([result])
    confined_cavity = result.settings.get("geometry") == "confined"
    extent = _cavity_extent(result)
    if confined_cavity:
        ax.plot(t_ms[zoom], extent[zoom] * 1e3, color="tab:green",
                label="cavity's in-plane radius")
        ax.axhline(np.sqrt(result.joint.area_m2 / np.pi) * 1e3, color="tab:green", ls="--",
                   lw=0.8, label="contact radius")
    else:
        ax.plot(t_ms[zoom], extent[zoom] * 1e3, color="tab:green", label="cavity's radius")
    ax.plot(t_ms[zoom], result.gap_m[zoom] * 1e3, color="tab:orange", label="gap")
    if result.cracked:
        t0 = result.summary.crack_time_s
        growth_end = result.events.max_radius_s[:1]
        collapses, rebounds = collapses_and_rebounds(result)
        for times, marker, label in ((growth_end, "^", "end of growth"),
                                     (collapses, "v", "collapse"),
                                     (rebounds, "o", "rebound")):
            shown = times[times - t0 <= ZOOM_S][:MARKED]
            if shown.size:
                more = f" (first {MARKED} of {times.size})" if times.size > MARKED else ""
                ax.plot((shown - t0) * 1e3, np.interp(shown, result.t_s, extent) * 1e3,
                        marker, ms=4, ls="none", label=label + more)
    else:
        ax.text(0.5, 0.5, "no cavity: the pull did not crack", transform=ax.transAxes,
                ha="center")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel(time_label)
    ax.set_ylabel("size [mm]")
    ax.set_title(f"the {'confined' if confined_cavity else 'spherical'} cavity in the gap")
    return ax


SOURCE_WORDS = {"full": "its formation and collapse", "formation": "its formation only",
                "collapse": "its collapse only"}
"""What each ``source`` choice of :func:`cavitation.simulate` sounds, in words."""


@_styled
def plot_radiated(result: CrackResult, ax: Axes | None = None) -> Axes:
    """Pressure [kPa] the cavity radiates into the fluid at the simulation's distance,
    around the crack."""
    ax = _axes(ax)
    t_ms, zoom = _ms_after_crack(result)
    _, time_label = _origin_s([result])
    ax.plot(t_ms[zoom], result.radiated_pressure_pa[zoom] / 1e3, color="tab:brown", lw=0.8)
    ax.set_xlabel(time_label)
    ax.set_ylabel(f"pressure {result.settings['distance_m'] * 1e3:.3g} mm away [kPa]")
    ax.set_title(f"radiated by {SOURCE_WORDS[result.settings['source']]}")
    return ax


#: The waveform is shown from this long before the first crack [s] ...
WAVEFORM_BEFORE_S = 2e-3
#: ... to this long after the last one [s].
WAVEFORM_AFTER_S = 25e-3
#: ... and at least until the sound has fallen below this level of its peak [dB], plus
#: :data:`WAVEFORM_BEFORE_S`.
SOUND_END_DB = -40.0


def _heard_window_ms(rendering: Rendering) -> tuple[float, float]:
    """Where the sound is, in ms after the first nucleation: from a little before its
    first crack reaches the listener (a microphone 100 m away hears it 0.29 s later) to
    a while after its last crack does."""
    cracked = [c for c in rendering.cracks if c.cracked]
    t0, _ = _origin_s(rendering.cracks)
    delays = [travel_time_s(c, rendering.listener, rendering.settings) for c in cracked]
    first = min(delays)
    last = max(c.summary.crack_time_s - t0 + d for c, d in zip(cracked, delays, strict=True))
    # ... or until the sound has fallen for good below SOUND_END_DB of its peak (a
    # ringing sphere lasts longer than WAVEFORM_AFTER_S), and a little after.
    x = np.abs(_mono(rendering))
    loud = np.flatnonzero(x >= 10.0 ** (SOUND_END_DB / 20.0) * x.max())
    if loud.size:
        last = max(last, rendering.t_s[loud[-1]] - t0 + WAVEFORM_BEFORE_S - WAVEFORM_AFTER_S)
    return ((first - WAVEFORM_BEFORE_S) * 1e3, (last + WAVEFORM_AFTER_S) * 1e3)


def _arrival_note(rendering: Rendering) -> str:
    """How long after it leaves the joint the sound reaches the listener, in words."""
    cracked = [c for c in rendering.cracks if c.cracked]
    if not cracked:
        return ""
    delay_ms = travel_time_s(cracked[0], rendering.listener, rendering.settings) * 1e3
    return f", heard {delay_ms:.3g} ms after it leaves the joint"


def listener_words(rendering: Rendering) -> str:
    """Who listens, where, in words: ``"a microphone in air at 10 cm"``."""
    if rendering.listener == "air":
        return f"a microphone in air at {rendering.settings.air_distance_m * 100:g} cm"
    depths_mm = sorted({round(c.joint.body.depth_m * 1e3) for c in rendering.cracks})
    sensor = "a microphone" if rendering.listener == "contact" else "an accelerometer"
    if len(depths_mm) == 1:
        return f"{sensor} on the skin, {depths_mm[0]} mm over the joint"
    return f"{sensor} on the skin, {depths_mm[0]}-{depths_mm[-1]} mm over the joints"


@_styled
def plot_waveform(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """The listener's signal (pressure [Pa] or acceleration [m/s^2]) around the cracks,
    at the audio rate, against time after nucleation."""
    ax = _axes(ax)
    cracked = any(c.cracked for c in rendering.cracks)
    t0, time_label = _origin_s(rendering.cracks)
    t_ms = (rendering.t_s - t0) * 1e3
    if cracked:
        ax.set_xlim(*_heard_window_ms(rendering))
    if rendering.signal.ndim == 1:
        ax.plot(t_ms, rendering.signal, color=SIDE_COLOURS["center"], lw=0.6)
    else:
        for channel, name in enumerate(("left", "right")):
            ax.plot(t_ms, rendering.signal[:, channel], color=SIDE_COLOURS[name], lw=0.6,
                    label=name, alpha=0.8)
        ax.legend(loc="upper right", fontsize="small")
    if not cracked:
        ax.text(0.5, 0.75, "silence: no crack", transform=ax.transAxes, ha="center")
    ax.set_xlabel(time_label)
    ax.set_ylabel(f"{_quantity(rendering)} [{rendering.unit}]")
    ax.set_title(f"the sound at the listener{_arrival_note(rendering)}")
    return ax


#: Spectrogram frames [s]: 8 ms resolves 125 Hz, enough for the neck's 200-300 Hz pops
#: (a 2 ms frame's 500 Hz bins could not), and smears a 3 ms pop over a frame.
SPECTROGRAM_FRAME_S = 8e-3

#: The spectrogram shows this many dB below its loudest cell [dB] ...
SPECTROGRAM_RANGE_DB = 60.0
#: ... and frequencies up to this factor above the highest one within that range, at
#: least :data:`SPECTROGRAM_MIN_TOP_HZ` [Hz].
SPECTROGRAM_HEADROOM = 1.5
#: The spectrogram always shows at least up to this frequency [Hz].
SPECTROGRAM_MIN_TOP_HZ = 1000.0


@_styled
def plot_spectrogram(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """Spectrogram [dB re the listener's reference] of the sound at the listener, on a
    logarithmic frequency axis, against time after nucleation, zoomed to the event.

    It shows the :data:`SPECTROGRAM_RANGE_DB` below its loudest cell, over the time the
    waveform shows and up to the highest frequency that reaches that range. The cells
    are drawn as an image inside a vector file (PDF, SVG), so the file stays small.
    """
    ax = _axes(ax)
    fs = rendering.samplerate_hz
    nperseg = round(SPECTROGRAM_FRAME_S * fs)
    x = _mono(rendering)
    t0, time_label = _origin_s(rendering.cracks)
    ax.set_xlabel(time_label)
    ax.set_ylabel("frequency [Hz]")
    ax.set_title(f"spectrogram, {SPECTROGRAM_FRAME_S * 1e3:g} ms frames")
    if not np.any(x) or x.size < nperseg:  # nothing to show, or not one frame of it
        ax.text(0.5, 0.75, "silence: no crack" if not np.any(x) else
                f"the clip is shorter than one {SPECTROGRAM_FRAME_S * 1e3:g} ms frame",
                transform=ax.transAxes, ha="center")
        return ax
    f, t, power = _dsp.spectrogram(x, fs, nperseg=nperseg, noverlap=nperseg * 7 // 8,
                                   nfft=4 * nperseg)
    reference, reference_text = listener.LEVEL_REFERENCES[rendering.listener]
    level = 10.0 * np.log10(np.maximum(power, 1e-30) / reference**2)
    top = level.max()
    t_ms = (t + rendering.start_s - t0) * 1e3  # spectrogram times start at the first sample
    low_ms, high_ms = ((float(t_ms[0]), float(t_ms[-1])) if not any(
        c.cracked for c in rendering.cracks) else _heard_window_ms(rendering))
    near = (t_ms >= low_ms - SPECTROGRAM_FRAME_S * 1e3) & (t_ms <= high_ms
                                                           + SPECTROGRAM_FRAME_S * 1e3)
    loud = f[np.any(level >= top - SPECTROGRAM_RANGE_DB, axis=1)]
    top_hz = min(fs / 2.0, max(SPECTROGRAM_MIN_TOP_HZ, SPECTROGRAM_HEADROOM * loud.max()))
    keep = (f >= 20.0) & (f <= top_hz)
    mesh = ax.pcolormesh(t_ms[near], f[keep], level[np.ix_(keep, near)],
                         vmin=top - SPECTROGRAM_RANGE_DB, vmax=top, shading="auto",
                         cmap="magma", rasterized=True)
    _frequency_axis(ax, "y", 20.0, top_hz)
    ax.set_xlim(low_ms, high_ms)
    ax.figure.colorbar(mesh, ax=ax, label=f"level [dB re {reference_text}]")
    return ax


def _spectrum_db(rendering: Rendering) -> tuple[np.ndarray, np.ndarray] | None:
    """Frequencies from 20 Hz [Hz] and the sound's magnitude there [dB re its peak];
    None for silence."""
    x = _mono(rendering)
    spectrum = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(x.size, 1.0 / rendering.samplerate_hz)
    keep = f >= 20.0
    top = float(spectrum[keep].max()) if np.any(keep) else 0.0
    if top == 0.0:
        return None
    return f[keep], 20.0 * np.log10(np.maximum(spectrum[keep], 1e-30 * top) / top)


@_styled
def plot_spectrum(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """Magnitude spectrum [dB re its peak] with the dominant frequency marked.

    Relative, because the spectrum level of a short burst depends on how long the
    analysed file is; the absolute level is the peak level in the features.
    """
    ax = _axes(ax)
    fs = rendering.samplerate_hz
    ax.set_xlabel("frequency [Hz]")
    ax.set_ylabel("magnitude [dB re its peak]")
    ax.set_title("spectrum of the sound")
    # The axes first: a sound compared with this one is drawn on them even if this one
    # is silent (the explorer's "compare").
    _frequency_axis(ax, "x", 20.0, fs / 2.0)
    ax.set_ylim(-100.0, 5.0)  # 100 dB: below that, only the resampling filter's floor
    spectrum = _spectrum_db(rendering)
    if spectrum is None:  # nothing cracked: nothing to draw, and no log of zero
        ax.text(0.5, 0.75, "silence: no crack", transform=ax.transAxes, ha="center")
        return ax
    ax.plot(*spectrum, color="tab:blue", lw=0.8)
    dominant = rendering.features.dominant_frequency_hz
    if np.isfinite(dominant):
        ax.axvline(dominant, color="tab:red", ls="--", lw=1,
                   label=f"dominant {dominant:.0f} Hz")
        ax.legend(loc="lower left", fontsize="small")
    return ax


SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red", "center": "k"}
"""The colour of each side in every figure."""


def _quantity(rendering: Rendering) -> str:
    """What the listener's signal is: ``"pressure"`` or ``"acceleration"``."""
    return "acceleration" if rendering.unit == "m/s^2" else "pressure"


@_styled
def plot_sites(rendering: Rendering, ax: Axes | None = None) -> Axes:
    """When each joint cracked, one row per joint, with the pops heard above them.

    Filled markers: a joint's crack, in its side's colour. Open triangles on the top
    row: the pops the detector (:func:`cavitation.detection.detect`) hears on each
    side's channel. Time is after the first nucleation [ms].
    """
    ax = _axes(ax)
    t0, time_label = _origin_s(rendering.cracks)
    labels = list(rendering.labels)
    for row, (crack, side) in enumerate(zip(rendering.cracks, rendering.sides, strict=True)):
        if crack.cracked:
            ax.plot((crack.summary.crack_time_s - t0) * 1e3, row, "o", ms=6,
                    color=SIDE_COLOURS[side])
    pops = detection.detect(rendering.signal, rendering.samplerate_hz, rendering.start_s)
    heard_row = len(labels)
    for side in dict.fromkeys(pops.sides):
        times = [t for t, s in zip(pops.times_s, pops.sides, strict=True) if s == side]
        offset = {"left": -0.2, "right": 0.2}.get(side, 0.0)  # both visible at one time
        ax.plot((np.array(times) - t0) * 1e3, [heard_row + offset] * len(times), "v", ms=7,
                mfc="none", color=SIDE_COLOURS[side], label=f"heard, {side}")
    ax.set_yticks(range(heard_row + 1), [*labels, f"pops heard ({pops.count})"])
    ax.set_ylim(heard_row + 0.7, -0.7)
    ax.grid(axis="x", color="0.9")
    ax.set_xlabel(time_label)
    ax.set_title(f"cracks per joint ({sum(c.cracked for c in rendering.cracks)} of"
                 f" {len(labels)}) and pops heard")
    return ax


def _title(rendering: Rendering) -> str:
    """The dashboard's title: what cracked, heard by whom, where."""
    what = (", ".join(rendering.labels) if len(rendering.labels) <= 3
            else f"{len(rendering.labels)} joints")
    return f"{what}, heard by {listener_words(rendering)}"


def _scenario_dashboard(rendering: Rendering) -> RichFigure:
    """Several joints: the raster of their cracks, each side's waveform, the spectrum."""
    figure = new_figure(DOUBLE_COLUMN_IN, 7.0)
    grid = figure.add_gridspec(3, 2, height_ratios=(1.3, 1, 1))
    plot_sites(rendering, sites := figure.add_subplot(grid[0, :]))
    _panel(sites, "a", sites.get_title())
    t0, time_label = _origin_s(rendering.cracks)
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
        ax.set_ylabel(f"{_quantity(rendering)} [{rendering.unit}]")
        _panel(ax, "bc"[row], f"{'the sound' if side == 'center' else side + ' channel'}"
               " at the listener")
    if first is not None and any(c.cracked for c in rendering.cracks):
        first.set_xlim(*_heard_window_ms(rendering))
    ax.set_xlabel(time_label)
    letters = "cd" if len(sides) == 1 else "de"
    for letter, draw, cell in ((letters[0], plot_spectrum, grid[1, 1]),
                               (letters[1], plot_spectrogram, grid[2, 1])):
        panel = draw(rendering, figure.add_subplot(cell))
        _panel(panel, letter, panel.get_title())
    figure.suptitle(_title(rendering))
    return figure


def _no_crack_dashboard(rendering: Rendering) -> RichFigure:
    """A pull that did not crack: the pull, and the pressure falling short of the
    threshold; the listener hears silence."""
    figure = new_figure(DOUBLE_COLUMN_IN, 3.0)
    axes = figure.subplots(1, 3, width_ratios=(1.0, 1.0, 0.8))
    which = ""
    if len(rendering.cracks) > 1:  # on a line of its own: it ran into the next title
        which = f"\n({rendering.labels[0]})"
    for letter, draw, ax in (("a", plot_load_and_gap, axes[0]), ("b", plot_pressure, axes[1])):
        draw(rendering.crack, ax)
        _panel(ax, letter, ax.get_title() + which)
    axes[2].axis("off")
    _panel(axes[2], "c", "key figures")
    axes[2].text(0.0, 1.0, _key_figures(rendering), va="top", ha="left",
                 transform=axes[2].transAxes)
    figure.suptitle(f"{_title(rendering)}: no crack")
    return figure


def _key_figures(rendering: Rendering) -> str:
    """The crack's main figures, as lines of text with units."""
    crack = rendering.crack
    s, f = crack.summary, rendering.features
    if not s.cracked:
        lowest = float(crack.pressure_pa.min())
        return "\n".join([
            "no crack",
            f"pull: at most {float(crack.force_n.max()):.0f} N",
            f"lowest capsule pressure: {lowest / 1e3:.0f} kPa",
            f"threshold: {crack.joint.nucleation.pressure_pa / 1e3:.0f} kPa",
            "the listener hears " + ("background noise only"
                                     if rendering.settings.noise_rms(rendering.listener) > 0
                                     else "silence")])
    collapses, _ = collapses_and_rebounds(crack)
    first_collapse = ("no collapse in the window" if collapses.size == 0 else
                      f"first collapse {(collapses[0] - s.crack_time_s) * 1e3:.2f} ms after"
                      " nucleation")
    # the longer text of a thump without a spectral peak takes a line of its own
    after_dominant = "\n" if np.isnan(f.dominant_frequency_hz) else " "
    lines = [f"nucleation {s.crack_time_s:.3f} s into the pull, at {s.nucleation_force_n:.1f} N",
             f"gap jump {s.gap_jump_m * 1e3:.2f} mm",
             f"{'spherical' if crack.settings.get('geometry') == 'sphere' else 'confined'}"
             " cavity: at most"
             f" {4.0 / 3.0 * np.pi * s.max_radius_m**3 * 1e9:.0f} mm$^3$",
             first_collapse,
             f"gas left: a bubble {2 * s.residual_radius_m * 1e3:.2f} mm across,",
             f"  {100 * s.residual_co2_fraction:.0f} % CO2, dissolved in"
             f" {s.refractory_time_s / 60:.0f} min",
             "",
             f"peak {f.peak_level_db:.1f} {rendering.level_unit}",
             f"{audio.dominant_text(f.dominant_frequency_hz)},{after_dominant}centroid"
             f" {f.spectral_centroid_hz:.0f} Hz",
             f"{f.duration_s * 1e3:.1f} ms long (to -20 dB)",
             f"pops heard: {rendering.pops_heard}, {f.pop_duration_s * 1e3:.1f} ms each"]
    return "\n".join(lines)


@_styled
def dashboard(rendering: Rendering) -> RichFigure:
    """The whole crack in one figure: the pull, pressure, cavity, radiation and sound.

    A journal's double column wide (:data:`DOUBLE_COLUMN_IN`), with a title naming the
    joint and the listener, lettered panels, and one time origin (nucleation) for every
    time axis. For several joints (a scenario): the cracks of every joint, each side's
    waveform, the spectrum and the spectrogram.
    """
    if not any(c.cracked for c in rendering.cracks):
        return _no_crack_dashboard(rendering)
    if len(rendering.cracks) > 1:
        return _scenario_dashboard(rendering)
    figure = new_figure(DOUBLE_COLUMN_IN, 8.4)
    axes = figure.subplots(4, 2)
    crack = rendering.crack
    for letter, (draw, thing, ax) in zip("abcdefg", (
            (plot_load_and_gap, crack, axes[0, 0]), (plot_pressure, crack, axes[0, 1]),
            (plot_radius, crack, axes[1, 0]), (plot_radiated, crack, axes[1, 1]),
            (plot_waveform, rendering, axes[2, 0]), (plot_spectrum, rendering, axes[2, 1]),
            (plot_spectrogram, rendering, axes[3, 0])), strict=False):
        draw(thing, ax)  # type: ignore[operator]
        _panel(ax, letter, ax.get_title())
    axes[3, 1].axis("off")
    _panel(axes[3, 1], "h", "key figures")
    axes[3, 1].text(0.0, 1.0, _key_figures(rendering), va="top", ha="left",
                    transform=axes[3, 1].transAxes)
    figure.suptitle(_title(rendering))
    return figure


def figure_bytes(figure: Figure, file_format: str, *, dpi: float = 150.0) -> bytes:
    """The figure as PNG, SVG or PDF bytes; a new figure gives the same bytes.

    The package's own figures (:class:`RichFigure`, not on a pyplot window) are printed
    to PNG on an Agg canvas of their own, drawn once: ``savefig`` draws a figure with a
    layout engine twice (once to lay it out, once to render), 20 % of a dashboard's
    time, for the same bytes. ``savefig``'s own settings (``savefig.facecolor`` and
    the like) do not apply to them. Any other figure goes through ``savefig``.

    Parameters
    ----------
    figure : Figure
        Any matplotlib figure.
    file_format : {"png", "svg", "pdf"}
        PDF and SVG are vector files, with a spectrogram inside as an image.
    dpi : float, optional
        Resolution of the PNG, and of the images inside a PDF or SVG [dots per inch].
    """
    check_choice("figure format", file_format, FIGURE_FORMATS)
    buffer = _io.BytesIO()
    if (file_format == "png" and isinstance(figure, RichFigure)
            and getattr(figure.canvas, "manager", None) is None):
        shown_on, dpi_before = figure.canvas, figure.dpi
        canvas = FigureCanvasAgg(figure)  # before the dpi changes: it records the dpi
        try:
            figure.dpi = dpi
            canvas.print_png(buffer, metadata={})
        finally:
            figure.dpi = dpi_before
            figure.set_canvas(shown_on)
        return buffer.getvalue()
    # No date in the file, and fixed SVG element ids: reproducible output.
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None},
                "png": {}}[file_format]
    # TrueType (42), not Type 3, fonts in a PDF: journals refuse Type 3.
    with mpl.rc_context({"svg.hashsalt": "cavitation", "pdf.fonttype": 42}):
        figure.savefig(buffer, format=file_format, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


@_styled
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
    figure = new_figure(2.0 * columns, 1.2 * rows + 0.6)
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
    ("features", "peak_level_db", "peak level [dB re {reference}]", 1.0),
    ("features", "dominant_frequency_hz", "dominant frequency [Hz]", 1.0),
)
"""What :func:`plot_sweep` draws: (section, key, axis label with unit, scale); the level's
reference is the listener's (20 uPa in air)."""


@_styled
def plot_sweep(rows: list[dict], parameter: str, *, label: str | None = None,
               scale: float = 1.0, references: dict[str, tuple[float, str]] | None = None
               ) -> RichFigure:
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
    RichFigure
        Four panels, two by two, a double column wide. Force, gap and frequency start
        at zero and levels span at least 10 dB, so that a change of 0.1 % does not look
        like one of 100 %.
    """
    ok = [r for r in rows if r["status"] == "ok"]
    x = np.array([r[parameter] for r in ok]) * scale
    figure = new_figure(DOUBLE_COLUMN_IN, 4.4)
    axes = figure.subplots(2, 2, sharex=True)
    reference = ok[0]["features"].get("level_reference", "?") if ok else "?"
    for ax, (section, key, unit, k) in zip(axes.flat, SWEEP_FIGURES, strict=True):
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
        ax.set_ylabel(unit.format(reference=reference))
    for ax in axes[-1]:
        ax.set_xlabel(label or parameter)
    return figure


@_styled
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
    published = np.zeros(0)
    if published_counts:
        total = sum(published_counts.values())
        published = np.array([100.0 * published_counts.get(int(k), 0) / total for k in bins])
        ax.bar(bins + 0.2, published, width=0.4, fill=False, edgecolor="k", label="published")
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
    # Room above the tallest bar for the legend, which covered the bars.
    ax.set_ylim(top=1.9 * max(share.max(), published.max(initial=0.0)))
    ax.legend(fontsize="small", loc="upper right")
    return ax


#: The compact view (:class:`CompactView`): three panels side by side [inch] in
#: :data:`STYLE`'s 7-9 pt fonts, at ``VIEW_DPI`` [dots per inch] (1100 x 308 pixels).
#: Fixed margins: a layout engine would take longer than the drawing itself.
VIEW_SIZE_IN = (10.0, 2.8)
VIEW_DPI = 110
VIEW_MARGINS = {"left": 0.075, "right": 0.99, "bottom": 0.15, "top": 0.86, "wspace": 0.3}
#: How the view is drawn: no font hinting (a sixth faster to draw, text as sharp at this
#: size), and a PNG compressed at level 1 (faster than the default 6, a few kB larger).
VIEW_RC = {"text.hinting": "no_hinting"}
VIEW_PNG = {"compress_level": 1}
#: The sound before the last change, when compared, in this grey.
PREVIOUS_COLOUR = "0.72"


def _cavity_or_pressure(rendering: Rendering, ax: Axes) -> Axes:
    """The cavity of the first joint to crack; or, if none did, the first joint's
    pressure over the pull against the nucleation threshold."""
    if rendering.crack.cracked:
        return plot_radius(rendering.crack, ax)
    return plot_pressure(rendering.crack, ax)


def _reset(ax: Axes) -> None:
    """Empty an axes for the next drawing, keeping its ticks: ``cla`` would build them
    again, at a third of the view's time."""
    for artist in [*ax.lines, *ax.texts, *ax.collections, *ax.patches, *ax.images,
                   *ax.artists]:
        artist.remove()
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    ax.set_autoscale_on(True)
    ax.set_prop_cycle(None)  # the same colours for the same plot, whatever came before
    ax.relim()


def _previous_traces(ax: Axes, panel: int, previous: Rendering) -> None:
    """The main curve of panel ``panel`` (0 waveform, 1 spectrum, 2 cavity or pressure)
    of the sound before the last change, bare and grey, behind the new one: drawing it
    whole, legend and all, to grey it after would cost a third of the view's time."""
    grey: dict[str, Any] = {"color": PREVIOUS_COLOUR, "lw": 0.8, "zorder": 0.5,
                            "label": "_previous"}
    if panel == 0:
        t0, _ = _origin_s(previous.cracks)
        ax.plot((previous.t_s - t0) * 1e3, previous.signal, **grey)
    elif panel == 1:
        spectrum = _spectrum_db(previous)
        if spectrum is not None:
            ax.plot(*spectrum, **grey)
    else:
        crack = previous.crack
        t_ms, zoom = _ms_after_crack(crack)
        if crack.cracked:
            ax.plot(t_ms[zoom], _cavity_extent(crack)[zoom] * 1e3, **grey)
            ax.plot(t_ms[zoom], crack.gap_m[zoom] * 1e3, **grey)
        else:
            ax.plot(t_ms[zoom], crack.pressure_pa[zoom] / 1e3, **grey)


class CompactView:
    """Three panels for a live view (:func:`cavitation.explore`): the waveform, the
    spectrum, and the cavity (or, if nothing cracked, the pressure against the
    threshold); one figure kept between drawings (emptied, not cleared), with fixed
    margins: a layout engine would take longer than the drawing itself."""

    def __init__(self) -> None:
        # In the package's style from the start: an axis label keeps the font it was
        # made with, and the plot functions only set its text.
        with mpl.rc_context(STYLE):  # type: ignore[arg-type]  # str keys, not Literal
            self.figure = RichFigure(figsize=VIEW_SIZE_IN)
            self.figure.subplots_adjust(**VIEW_MARGINS)
            self.axes = self.figure.subplots(1, 3)

    def draw(self, rendering: Rendering, previous: Rendering | None) -> bytes:
        """The view of ``rendering``, with ``previous`` in grey behind it, as PNG."""
        panels = ((self.axes[0], plot_waveform), (self.axes[1], plot_spectrum),
                  (self.axes[2], _cavity_or_pressure))
        for ax, _ in panels:
            _reset(ax)
        if previous is not None:
            for panel in self._comparable(rendering, previous):
                _previous_traces(self.axes[panel], panel, previous)
        for ax, draw in panels:
            draw(rendering, ax)
        self.axes[0].set_title("the sound at the listener",  # the panel's width
                               fontsize=STYLE["axes.titlesize"])
        self.figure.suptitle(
            "" if previous is None else "grey: the sound before the last change",
            x=0.99, ha="right", fontsize="small", color="0.4")
        buffer = _io.BytesIO()
        with mpl.rc_context(VIEW_RC):  # type: ignore[arg-type]  # str keys, not Literal
            self.figure.savefig(buffer, format="png", dpi=VIEW_DPI, pil_kwargs=VIEW_PNG)
        return buffer.getvalue()

    @staticmethod
    def _comparable(rendering: Rendering, previous: Rendering) -> list[int]:
        """The panels (0 waveform, 1 spectrum, 2 cavity) where the previous sound can be
        drawn behind the new one: its spectrum if it cracked; its waveform and third
        panel where both cracked or neither did (one time axis), the waveform in the
        same unit and channels."""
        cracked = any(c.cracked for c in previous.cracks)
        alike = cracked == any(c.cracked for c in rendering.cracks)
        same_signal = (previous.unit == rendering.unit
                       and previous.signal.ndim == rendering.signal.ndim)
        return [panel for panel, kept in enumerate((alike and same_signal, cracked, alike))
                if kept]


show_axes_in_ipython()
