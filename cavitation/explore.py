"""Explore a crack by hand: sliders for the parameters that matter, a live view, a player.

:func:`explore` builds an :class:`Explorer` (ipywidgets, the optional extra
``pip install "cavitation[notebook]"``): a preset or scenario, sliders built from each
parameter's unit and valid range (:func:`cavitation.parameters.describe`), the cavity's
geometry, the listener and the sample rate. Every change renders the sound again
(:func:`cavitation.render`, or :func:`cavitation.scenario.render_scenario`) and shows
a compact view (waveform, spectrum and the cavity; or, when the joint did not crack,
its pressure against the nucleation threshold), a player at a comfortable listening
level (:meth:`cavitation.render.Rendering.listening`) and a status line. "Compare"
keeps the sound before the last change beside the new one, in grey and in a second
player; "save" writes the current sound with its JSON (:func:`cavitation.save`).

No physics here: the explorer only configures (:func:`cavitation.presets.configure`),
renders, draws with :mod:`cavitation.plot` and encodes with :mod:`cavitation.io`.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import audio, listener
from .parameters import Parameters, Row, check_choice, check_range, describe, renamed, replace
from .presets import PRESETS, configure, get_preset
from .render import Rendering, audio_html, hearing_options, render, save
from .scenario import SCENARIOS, get_scenario, render_scenario, simulate_scenario

__all__ = ["GEOMETRIES", "SCENARIO_PREFIX", "SLIDERS", "Explorer", "Snapshot", "audio_caption",
           "choices", "explore", "slider_range", "status_text"]

#: The parameters that change the crack most, in the order the sliders show them; those a
#: preset lacks (a thrust has no ramp time) are left out. A scenario's joints keep their
#: presets: only its loading's sliders are shown.
SLIDERS = (
    "capsule.compliance_m3_pa",
    "nucleation.pressure_pa",
    "fluid.viscosity_pa_s",
    "capsule.fluid_volume_m3",
    "area_m2",
    "stiffness_n_m",
    "loading.peak_force_n",
    "loading.ramp_time_s",
    "loading.preload_n",
    "loading.thrust_time_s",
)

#: The cavity's geometries, as :func:`cavitation.simulate` names them.
GEOMETRIES = ("confined", "sphere")

#: A scenario is chosen in the dropdown as ``"scenario:NAME"``: a preset and a scenario
#: share the name ``"mid-cervical"``.
SCENARIO_PREFIX = "scenario:"

#: A slider is logarithmic where its range spans at least this factor [-].
LOG_SPAN = 20.0
#: A negative value (a tension: the nucleation pressure) gets a linear slider from this
#: factor times it to the value over this factor [-]: -1 MPa to -10 kPa for the
#: knuckle's -100 kPa, not the whole valid range (-10 MPa to +50 kPa), where most of
#: the travel would not crack.
NEGATIVE_SPAN = 10.0
#: A range that starts at 0 but spans decades above the preset's value starts this factor
#: below the value instead, on a logarithmic slider [-]: 0 itself is left to
#: :func:`cavitation.presets.configure`.
LOG_FLOOR_FACTOR = 100.0
#: Positions along a slider [-]: its step is the range (or its decades) over this.
SLIDER_STEPS = 400

def choices() -> dict[str, str]:
    """What the preset dropdown offers: ``{label: value}``, the presets by name, then
    the scenarios as ``"scenario:NAME"``."""
    options = {name: name for name in PRESETS}
    options |= {f"scenario: {name} ({len(s.sites)} joints)": SCENARIO_PREFIX + name
                for name, s in SCENARIOS.items()}
    return options


def slider_range(row: Row) -> tuple[float, float, bool]:
    """The ends of a parameter's slider, in its unit, and whether it is logarithmic.

    A range of positive values that spans :data:`LOG_SPAN` or more is logarithmic; a
    range from 0 that spans that much above the value starts :data:`LOG_FLOOR_FACTOR`
    below the value, logarithmic too. A negative value is linear over a decade either
    side (:data:`NEGATIVE_SPAN`). Any other range is linear, over the whole valid
    range. An open upper end is taken as 1000 times the value.

    Parameters
    ----------
    row : Row
        The parameter, as :func:`cavitation.parameters.describe` gives it.

    Returns
    -------
    low, high : float
        The slider's ends, in ``row.unit``.
    log : bool
        Logarithmic.
    """
    if row.low is None or row.high is None:
        raise ValueError(f"{row.name} is not a quantity; a slider needs a unit and a range")
    value = float(row.value)
    low, high = float(row.low), float(row.high)
    if not math.isfinite(high):
        high = 1000.0 * abs(value) if value else 1.0
    if low > 0.0 and high / low >= LOG_SPAN:
        return low, high, True
    if low == 0.0 and value > 0.0 and high / value >= LOG_SPAN:
        return value / LOG_FLOOR_FACTOR, high, True
    if value < 0.0:  # a tension: a decade either side of the value, within the range
        return max(low, NEGATIVE_SPAN * value), min(high, value / NEGATIVE_SPAN), False
    return low, high, False


def _widgets() -> Any:
    """The ipywidgets module, or an ImportError that says how to install it."""
    try:
        import ipywidgets
    except ImportError as err:
        raise ImportError('the explorer needs ipywidgets: pip install "cavitation[notebook]"'
                          ) from err
    return ipywidgets


def _label(row: Row) -> str:
    """A slider's label: the settable name and its unit."""
    return f"{row.name} [{row.unit}]" if row.unit not in ("", "1") else row.name


def _slider(widgets: Any, row: Row) -> Any:
    """A slider for one parameter, from its unit and valid range (:func:`slider_range`)."""
    low, high, log = slider_range(row)
    common = {"description": _label(row), "continuous_update": False,
              "readout_format": ".3g", "tooltip": f"{row.doc}; valid: {row.valid} {row.unit}",
              "style": {"description_width": "15em"}, "layout": {"width": "34em"}}
    if log:
        decades = math.log10(high) - math.log10(low)
        return widgets.FloatLogSlider(value=float(row.value), base=10.0, min=math.log10(low),
                                      max=math.log10(high), step=decades / SLIDER_STEPS,
                                      **common)
    return widgets.FloatSlider(value=float(row.value), min=low, max=high,
                               step=(high - low) / SLIDER_STEPS, **common)


def _ends(slider: Any) -> tuple[float, float]:
    """A slider's ends, in its parameter's unit."""
    if hasattr(slider, "base"):  # logarithmic: its ends are exponents
        return slider.base ** slider.min, slider.base ** slider.max
    return slider.min, slider.max


def _on_step_of(slider: Any, value: float) -> bool:
    """Whether the slider sits within half a step of ``value``: a slider moved back to
    a value off its grid lands on the nearest step."""
    if hasattr(slider, "base"):
        return abs(math.log(slider.value / value, slider.base)) <= slider.step / 2 + 1e-12
    return abs(slider.value - value) <= slider.step / 2 + 1e-12 * max(1.0, abs(value))


def _setting_rows(choice: str, names: Sequence[str] | None) -> list[Row]:
    """The rows of ``names`` that ``choice`` (a preset, or ``"scenario:NAME"``) has, in
    the order of ``names``, or all its rows with a unit and a range if ``names`` is None;
    a scenario's loading only."""
    if choice.startswith(SCENARIO_PREFIX):
        loading = get_scenario(choice.removeprefix(SCENARIO_PREFIX)).loading
        joint_rows: list[Row] = []
    else:
        preset = get_preset(choice)
        loading, joint_rows = preset.loading, describe(preset.joint)
    rows = {row.name: row for row in joint_rows}
    if isinstance(loading, Parameters):
        rows |= {f"loading.{row.name}": row._replace(name=f"loading.{row.name}")
                 for row in describe(loading)}
    if names is None:
        return [row for row in rows.values() if row.low is not None]
    return [rows[name] for name in names if name in rows]


@dataclass(frozen=True)
class Snapshot:
    """What the explorer shows, frozen: for a notebook's output or an HTML page.

    Attributes
    ----------
    png : bytes
        The view (PNG).
    wav : bytes
        The sound at its listening level (WAV).
    caption : str
        What the player plays: its listening level and the calibrated peak level.
    status : str
        Cracked or not, peak level, dominant frequency, duration; or the error.
    previous_wav : bytes or None
        The sound before the last change, when compared.
    previous_caption : str
        What that player plays.
    """

    png: bytes
    wav: bytes
    caption: str
    status: str
    previous_wav: bytes | None = None
    previous_caption: str = ""

    def html(self) -> str:
        """The view, the player(s) and the status as one piece of HTML."""
        png = base64.b64encode(self.png).decode("ascii")
        players = [(self.wav, self.caption)]
        if self.previous_wav is not None:
            players.append((self.previous_wav, self.previous_caption))
        audios = "".join(audio_html(wav, text) for wav, text in players)
        return (f'<figure style="margin:0"><img src="data:image/png;base64,{png}"/>'
                f"<figcaption>{html.escape(self.status)}</figcaption></figure>{audios}")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html(), "image/png": base64.b64encode(self.png).decode("ascii"),
                "text/plain": self.status}


def _error_html(what: str, err: Exception) -> str:
    """An error's message for the status line, in red: no traceback."""
    return f'<span style="color:#b00">{what}: {html.escape(str(err), quote=False)}</span>'


def audio_caption(rendering: Rendering, listening: str) -> str:
    """What a player of ``rendering``'s :meth:`~cavitation.render.Rendering.listening`
    sound plays: its listening level, and the calibrated peak level the file keeps."""
    from . import plot  # matplotlib only when shown (as every plot import below)

    if not any(c.cracked for c in rendering.cracks):
        return "no crack: " + rendering.silence_text()
    f = rendering.features
    saved = "" if rendering.level == "calibrated" else f" (saved {rendering.level})"
    return (f"plays at the {listening}; calibrated: peak {f.peak_level_db:.1f}"
            f" {rendering.level_unit} ({plot.listener_words(rendering)}){saved}")


def status_text(rendering: Rendering) -> str:
    """One line: cracked or not, and the sound's peak level, dominant frequency and
    duration; or how far short of the nucleation threshold the pressure fell."""
    from . import plot

    cracked = [c for c in rendering.cracks if c.cracked]
    if not cracked:  # the first joint's, as the view shows it
        lowest = float(rendering.crack.pressure_pa.min()) / 1e3
        threshold = rendering.crack.joint.nucleation.pressure_pa / 1e3
        return (f"no crack: the capsule's pressure fell to {lowest:.0f} kPa, short of the"
                f" nucleation threshold ({threshold:.0f} kPa) by {lowest - threshold:.0f} kPa")
    f, s = rendering.features, rendering.crack.summary
    first = rendering.labels[rendering.cracks.index(rendering.crack)]
    joints = (f"{len(cracked)} of {len(rendering.cracks)} joints cracked, the first"
              f" ({first})" if len(rendering.cracks) > 1 else "cracked")
    return (f"{joints} at {s.nucleation_force_n:.1f} N ({s.crack_time_s:.3f} s); peak"
            f" {f.peak_level_db:.1f} {rendering.level_unit} ({plot.listener_words(rendering)}),"
            f" {audio.dominant_text(f.dominant_frequency_hz)},"
            f" duration {f.duration_s * 1e3:.1f} ms"
            f" (-20 dB), pops heard {rendering.pops_heard}")


class _Heard(NamedTuple):
    """A rendering, its sound at the listening level (WAV), what that level is, and the
    choices it was rendered with (for "save")."""

    rendering: Rendering
    wav: bytes
    caption: str
    changes: dict[str, float]
    geometry: str


class Explorer:
    """Sliders, a live view and a player for one preset or scenario (see :func:`explore`).

    Attributes
    ----------
    preset : widgets.Dropdown
        A preset's name, or ``"scenario:NAME"`` (:func:`choices`).
    sliders : dict
        ``{parameter name: slider}``, the settable names of
        :func:`cavitation.presets.configure`, each in its SI unit.
    geometry, listener, samplerate, compare, save_button : widgets
        The cavity's geometry, the listener, the sample rate [Hz], whether the previous
        sound is shown, and the button that saves the current one.
    image : widgets.Image
        The view (PNG).
    audio, previous_audio : widgets.Audio
        The sound at a listening level (WAV), and the one before the last change.
    audio_caption, previous_caption, status : widgets.HTML
        What each player plays; cracked or not and the sound's figures, or the error.
    rendering, previous : Rendering or None
        The current sound, and the one before the last change.
    error : str or None
        Why the last change could not be rendered (its ``ValueError``), else None.
    timings_s : dict
        The last update's time [s]: ``render``, ``audio``, ``view`` and ``total``.
    widget : widgets.VBox
        Everything, to display.
    """

    def __init__(self, preset: str = "knuckle", *, listener_kind: str = "air",
                 samplerate_hz: int = 48000, geometry: str = "confined",
                 level: str = "calibrated", parameters: Sequence[str] = SLIDERS,
                 out_dir: str | Path = "outputs/explorer") -> None:
        widgets = _widgets()
        self._widgets = widgets
        check_choice("preset or scenario", preset, tuple(choices().values()))
        check_choice("geometry", geometry, GEOMETRIES)
        check_choice("listener", listener_kind, listener.LISTENERS)
        audio.check_samplerate(samplerate_hz)
        check_choice("level", level, audio.LEVELS)
        settable = tuple(dict.fromkeys(row.name for choice in choices().values()
                                       for row in _setting_rows(choice, None)))
        for name in parameters:
            check_choice("parameter", name, settable)
        self.parameters = tuple(parameters)
        self.level = level
        self.out_dir = Path(out_dir)
        self._heard: _Heard | None = None
        self._previous_heard: _Heard | None = None
        self.error: str | None = None
        self.timings_s: dict[str, float] = {}
        self._held = False
        from . import plot  # matplotlib only when explored

        self._view = plot.CompactView()
        self._png = b""
        self._build_controls(preset, listener_kind, samplerate_hz, geometry)
        self._build_outputs()
        self._build_sliders()
        self.update()

    # -- the widgets -----------------------------------------------------------------
    def _build_controls(self, preset: str, listener_kind: str, samplerate_hz: int,
                        geometry: str) -> None:
        w = self._widgets
        self.preset = w.Dropdown(options=list(choices().items()), value=preset,
                                 description="joint", layout={"width": "34em"})
        self.geometry = w.ToggleButtons(options=list(GEOMETRIES), value=geometry,
                                        description="cavity",
                                        tooltip="confined in the film, or a free sphere")
        self.listener = w.Dropdown(options=list(listener.LISTENERS), value=listener_kind,
                                   description="listener", layout={"width": "16em"})
        self.samplerate = w.Dropdown(
            options=[(f"{rate / 1e3:g} kHz", rate) for rate in audio.SAMPLERATES_HZ],
            value=samplerate_hz, description="rate", layout={"width": "12em"})
        self.compare = w.ToggleButton(value=False, description="compare",
                                      tooltip="keep the sound before the last change beside"
                                              " the new one")
        self.save_button = w.Button(description="save", icon="save",
                                    tooltip="write the current sound (WAV) with its JSON")
        self.preset.observe(self._on_preset, names="value")
        for control in (self.geometry, self.listener, self.samplerate):
            control.observe(self._on_change, names="value")
        self.compare.observe(self._on_compare, names="value")
        self.save_button.on_click(lambda _: self.save())

    def _build_outputs(self) -> None:
        w = self._widgets
        self.image = w.Image(format="png", layout={"width": "100%"})
        self.audio = w.Audio(format="wav", autoplay=False, loop=False)
        self.previous_audio = w.Audio(format="wav", autoplay=False, loop=False)
        self.audio_caption = w.HTML()
        self.previous_caption = w.HTML()
        self.status = w.HTML()
        self._previous_row = w.HBox([self.previous_audio, self.previous_caption],
                                    layout={"display": "none"})
        self._sliders_box = w.GridBox(layout={"grid_template_columns": "repeat(2, 36em)"})
        self.widget = w.VBox([
            w.HBox([self.preset, self.geometry]),
            w.HBox([self.listener, self.samplerate, self.compare, self.save_button]),
            self._sliders_box, self.image,
            w.HBox([self.audio, self.audio_caption]), self._previous_row, self.status])

    def _build_sliders(self) -> None:
        """Sliders for the preset's (or scenario's) parameters (:data:`SLIDERS`), at its values.
        The old sliders are closed, with their layouts and styles: ipywidgets keeps every
        widget until it is (24 more at each reset, measured)."""
        for old in getattr(self, "sliders", {}).values():
            for part in (old.layout, getattr(old, "style", None), old):
                if part is not None:
                    part.close()
        self.sliders = {row.name: _slider(self._widgets, row)
                        for row in _setting_rows(self.preset.value, self.parameters)}
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self._sliders_box.children = tuple(self.sliders.values())

    def _on_preset(self, _: Any) -> None:
        self._build_sliders()
        self.update()

    def _on_change(self, _: Any) -> None:
        if not self._held:
            self.update()

    def _on_compare(self, _: Any) -> None:
        self._previous_row.layout.display = "flex" if self.compare.value else "none"
        self._show()

    # -- what a change does ---------------------------------------------------------
    def changes(self) -> dict[str, float]:
        """The sliders' values that differ from the preset's, ``{name: value}`` in SI."""
        defaults = {row.name: row.value
                    for row in _setting_rows(self.preset.value, self.parameters)}
        return {name: float(s.value) for name, s in self.sliders.items()
                if not _on_step_of(s, float(defaults[name]))}

    def _render(self) -> Rendering:
        """The sound of the current choices (``ValueError`` if a value cannot be)."""
        sound = {"listener_kind": self.listener.value, "samplerate_hz": self.samplerate.value,
                 "level": self.level}
        values = {name: float(s.value) for name, s in self.sliders.items()}
        if not self.preset.value.startswith(SCENARIO_PREFIX):
            joint, loading = configure(get_preset(self.preset.value), values)
            return render(joint, loading, geometry=self.geometry.value, **sound)
        scenario = get_scenario(self.preset.value.removeprefix(SCENARIO_PREFIX))
        if isinstance(scenario.loading, Parameters):  # else it has no sliders
            loading_values = {name.removeprefix("loading."): v for name, v in values.items()}
            try:
                loading = replace(scenario.loading, **loading_values)
            except ValueError as err:
                raise renamed(err, scenario.loading, "loading") from None
            scenario = dataclasses.replace(scenario, loading=loading)
        result = simulate_scenario(scenario, geometry=self.geometry.value,
                                   **hearing_options(self.samplerate.value))
        return render_scenario(result, **sound)

    def update(self) -> None:
        """Render the current choices and show them; a value that cannot be rendered
        leaves the last sound in place and says why in the status."""
        start = time.perf_counter()
        changes, geometry = self.changes(), self.geometry.value
        try:
            rendering = self._render()
        except ValueError as err:  # out of range, no growth, clipping, integration
            self.error = str(err)
            self.status.value = (self._status_html() if self._heard
                                 else _error_html("not rendered", err))
            return
        from . import io  # soundfile only when a sound is made

        rendered = time.perf_counter()
        self.error = None
        samples, level = rendering.listening()
        heard = _Heard(rendering, io.audio_bytes(samples, rendering.samplerate_hz),
                       audio_caption(rendering, level), changes, geometry)
        self._previous_heard, self._heard = self._heard, heard
        self.timings_s = {"render": rendered - start, "audio": time.perf_counter() - rendered}
        self._show()
        self.timings_s["total"] = time.perf_counter() - start

    @property
    def rendering(self) -> Rendering | None:
        """The current sound; None if nothing could be rendered yet."""
        return None if self._heard is None else self._heard.rendering

    @property
    def previous(self) -> Rendering | None:
        """The sound before the last change; None before the first change."""
        return None if self._previous_heard is None else self._previous_heard.rendering

    def _compared(self) -> _Heard | None:
        """The sound before the last change, if "compare" is on."""
        return self._previous_heard if self.compare.value else None

    def _show(self) -> None:
        """Put the current sound in the player, the view in the image, the status."""
        if self._heard is None:
            return
        self.audio.value = self._heard.wav
        self.audio_caption.value = html.escape(self._heard.caption, quote=False)
        compared = self._compared()
        if compared is not None:
            self.previous_audio.value = compared.wav
            self.previous_caption.value = "previous: " + html.escape(compared.caption,
                                                                     quote=False)
        tick = time.perf_counter()
        self._png = self._view.draw(self._heard.rendering,
                                    None if compared is None else compared.rendering)
        self.image.value = self._png
        self.timings_s["view"] = time.perf_counter() - tick
        self.status.value = self._status_html()

    def _status_html(self) -> str:
        """The status line: the current sound's, after the error of the last change if it
        was refused."""
        assert self._heard is not None
        text = html.escape(status_text(self._heard.rendering), quote=False)
        if self.error is None:
            return text
        return (_error_html("not rendered", ValueError(self.error))
                + f" (showing the last sound: {text})")

    def reset(self) -> None:
        """Every slider back at the preset's (or scenario's) value, and render."""
        self._build_sliders()
        self.update()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls at once: one render when the block ends."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
            self.update()

    def set(self, values: Mapping[str, float]) -> None:
        """Move several sliders (``{name: value}``, SI) and render once."""
        for name, value in values.items():
            check_choice("slider", name, tuple(self.sliders))
            low, high = _ends(self.sliders[name])
            row = next(r for r in _setting_rows(self.preset.value, (name,)))
            check_range(name, value, row.unit, low, high)  # a slider would clamp it
        with self.hold():
            for name, value in values.items():
                self.sliders[name].value = value

    # -- what leaves the explorer ----------------------------------------------------
    def save(self, out_dir: str | Path | None = None,
             figures: tuple[str, ...] = ("png",)) -> list[Path]:
        """Write the current sound (at its file level, not the listening level) with its
        JSON and dashboard figure (:func:`cavitation.save`), under the next free name.

        Parameters
        ----------
        out_dir : path-like, optional
            Folder; the explorer's ``out_dir`` (``outputs/explorer``) by default.
        figures : tuple of {"png", "svg"}, optional
            Dashboard figures to write; empty for none.

        Returns
        -------
        list of Path
            The files written; empty if there was nothing to save or it failed (the
            status says why).
        """
        if self.rendering is None:
            return []
        out = Path(out_dir) if out_dir is not None else self.out_dir
        stem = self.preset.value.replace(SCENARIO_PREFIX, "scenario-")
        number = 1
        while any(out.glob(f"{stem}-{number:03d}.*")):
            number += 1
        heard = self._heard
        assert heard is not None  # a rendering exists
        extra = {"explorer": {"preset": self.preset.value, "changes": heard.changes,
                              "geometry": heard.geometry}}
        try:
            paths = save(self.rendering, out, f"{stem}-{number:03d}", figures=figures,
                         preset=None if stem.startswith("scenario-") else stem, extra=extra)
        except (ValueError, OSError) as err:
            self.status.value = _error_html("not saved", err)
            return []
        saved = ("Saved the last sound rendered (not the refused value): "
                 if self.error is not None else "Saved: ")
        self.status.value = self._status_html() + html.escape(
            f". {saved}" + ", ".join(map(str, paths)), quote=False)
        return paths

    def snapshot(self) -> Snapshot:
        """What the explorer shows now, frozen (a notebook's static output)."""
        if self._heard is None:
            raise ValueError(f"nothing rendered yet: {self.error}")
        status = status_text(self._heard.rendering)
        if self.error is not None:
            status = f"not rendered: {self.error} (showing the last sound: {status})"
        compared = self._compared()
        return Snapshot(self._png, self._heard.wav, self._heard.caption, status,
                        None if compared is None else compared.wav,
                        "" if compared is None else f"previous: {compared.caption}")

    @property
    def png(self) -> bytes:
        """The view as last drawn (PNG)."""
        return self._png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """The live widget, and a static view and player for a page without widgets
        (nbconvert to HTML skips a widget whose state was not saved)."""
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if self.rendering is not None:
            bundle = {**self.snapshot()._repr_mimebundle_(), **bundle}
        return bundle


def explore(preset: str = "knuckle", *, listener_kind: str = "air",
            samplerate_hz: int = 48000, geometry: str = "confined",
            level: str = "calibrated", parameters: Sequence[str] = SLIDERS,
            out_dir: str | Path = "outputs/explorer") -> Explorer:
    """Explore a preset or a scenario with sliders, a live view and a player.

    Needs ipywidgets: ``pip install "cavitation[notebook]"``. Display the result in a
    notebook; every control renders the sound again when it is released.

    Parameters
    ----------
    preset : str, optional
        A preset's name (:data:`cavitation.presets.PRESETS`), or a scenario's as
        ``"scenario:NAME"`` (:data:`cavitation.scenario.SCENARIOS`; its loading's
        sliders only, its joints as their presets).
    listener_kind : {"air", "contact", "accelerometer"}, optional
        Where the sound is heard first.
    samplerate_hz : int, optional
        Audio sample rate [Hz] first, one of :data:`cavitation.audio.SAMPLERATES_HZ`.
    geometry : {"confined", "sphere"}, optional
        The cavity's geometry first (:func:`cavitation.simulate`).
    level : {"calibrated", "normalised", "loudness"}, optional
        The level of the sound saved (:func:`cavitation.render`); the player plays at
        a listening level whatever it is.
    parameters : sequence of str, optional
        The sliders: settable names (:func:`cavitation.presets.configure`), those with
        a unit and a range; :data:`SLIDERS` by default.
    out_dir : path-like, optional
        Where "save" writes.

    Returns
    -------
    Explorer

    Raises
    ------
    ImportError
        Without ipywidgets.
    ValueError
        On an unknown preset or scenario, geometry, listener, rate or level.
    """
    return Explorer(preset, listener_kind=listener_kind, samplerate_hz=samplerate_hz,
                    geometry=geometry, level=level, parameters=parameters, out_dir=out_dir)
