"""The gallery: a few cracks rendered by the package while the documentation builds.

When an HTML build starts, each sound of :data:`SOUNDS` is simulated and rendered by
the package's public functions (:func:`cavitation.render.render`, or
:func:`cavitation.scenario.simulate_scenario` and
:func:`cavitation.scenario.render_scenario`, its pops counted by
:func:`cavitation.detection.detect`) and saved by :func:`cavitation.render.save`
as the command line saves it: a WAV file, its JSON and its dashboard figure, written
into the build's output (``_gallery/``), never into the source tree. The
``cavitation-gallery`` directive then lays out each sound: an audio player, the
figures measured on it and the dashboard.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import cavitation as cv
from cavitation import scenario as sc
from cavitation.detection import detect
from cavitation.presets import get_preset
from cavitation.render import Rendering, hearing_options

#: Folder of the build's output that holds the gallery's files.
FOLDER = "_gallery"

#: Level of every sound: its true peak at -1 dBTP, for listening. The figures beside
#: each sound are measured on the calibrated signal, before any level is applied.
LEVEL = "normalised"


@dataclass(frozen=True)
class Sound:
    """One sound of the gallery.

    Attributes
    ----------
    stem : str
        File stem in the gallery's folder.
    title : str
        Heading of its section.
    listener : str
        ``"air"``, ``"contact"`` or ``"accelerometer"``.
    preset : str or None
        A preset of :mod:`cavitation.presets`, or None for a scenario.
    scenario : str or None
        A scenario of :mod:`cavitation.scenario` (several joints, stereo).
    """

    stem: str
    title: str
    listener: str
    preset: str | None = None
    scenario: str | None = None

    @property
    def command(self) -> str:
        """The command line that renders the same sound."""
        which = (["--preset", self.preset] if self.preset is not None
                 else ["--scenario", str(self.scenario)])
        return shlex.join(["cavitation", "render", *which, "--listener", self.listener,
                           "--level", LEVEL])


SOUNDS = (
    Sound("knuckle", "A knuckle, pulled, heard by a microphone 10 cm away", "air",
          preset="knuckle"),
    Sound("atlanto-axial", "C1-C2, one joint of a cervical thrust, at the skin", "contact",
          preset="atlanto-axial"),
    Sound("upper-cervical", "An upper-cervical thrust: both sides, several joints, at the"
          " skin (stereo)", "contact", scenario="upper-cervical"),
)


def render_sound(sound: Sound) -> tuple[Rendering, str, list[tuple[str, str]]]:
    """Render one sound as ``cavitation render`` would.

    Parameters
    ----------
    sound : Sound
        Which sound.

    Returns
    -------
    rendering : Rendering
        The rendered sound.
    description : str
        What was simulated, in one line.
    figures : list of tuple of str
        The simulation's own figures, ``(name, value with its unit)``.
    """
    if sound.preset is not None:
        preset = get_preset(sound.preset)
        rendering = cv.render(preset.joint, preset.loading, listener_kind=sound.listener,
                              level=LEVEL)
        s = rendering.crack.summary
        return rendering, preset.description, [
            ("crack at", f"{s.nucleation_force_n:.0f} N, {s.crack_time_s * 1e3:.0f} ms"),
            ("gap jump", f"{s.gap_jump_m * 1e3:.2f} mm"),
            ("largest cavity (as a sphere, across)", f"{2e3 * s.max_radius_m:.1f} mm"),
            ("gas dissolved after", f"{s.refractory_time_s / 60:.0f} min"),
            ("pops", f"{rendering.features.pop_count}"),
        ]
    scenario = sc.get_scenario(str(sound.scenario))
    result = sc.simulate_scenario(scenario, **hearing_options(48000))
    rendering = sc.render_scenario(result, listener_kind=sound.listener, level=LEVEL)
    cracked = ", ".join(label for _, label, _ in result.pops) or "none"
    heard = detect(rendering.signal, rendering.samplerate_hz, rendering.start_s)
    sides = ", ".join(f"{heard.sides.count(side)} {side}" for side in dict.fromkeys(heard.sides))
    return rendering, scenario.description, [
        ("joints cracked", cracked),
        ("pops heard (as the studies counted them)", f"{heard.count} ({sides})"),
    ]


def measured(rendering: Rendering) -> list[tuple[str, str]]:
    """The figures measured on a rendering's sound, ``(name, value with its unit)``.

    Parameters
    ----------
    rendering : Rendering
        A rendered sound.

    Returns
    -------
    list of tuple of str
        Peak level, dominant frequency, spectral centroid and duration.
    """
    f = rendering.features
    return [
        ("peak level", f"{f.peak_level_db:.1f} {rendering.level_unit}"),
        ("dominant frequency", f"{f.dominant_frequency_hz:.0f} Hz"),
        ("spectral centroid", f"{f.spectral_centroid_hz:.0f} Hz"),
        ("duration (-20 dB)", f"{f.duration_s * 1e3:.1f} ms"),
    ]


def render_gallery(app: Sphinx) -> None:
    """Render every sound into the build's output, and keep what the page shows.

    Parameters
    ----------
    app : Sphinx
        The application; only an HTML build renders the sounds.
    """
    if app.builder.format != "html":
        return
    folder = Path(app.outdir) / FOLDER
    entries = []
    for sound in SOUNDS:
        rendering, description, figures = render_sound(sound)
        cv.save(rendering, folder, sound.stem, preset=sound.preset, overwrite=True)
        entries.append({"stem": sound.stem, "title": sound.title, "command": sound.command,
                        "description": description, "seconds": rendering.samples.shape[0]
                        / rendering.samplerate_hz,
                        "figures": measured(rendering) + figures})
    app.env.cavitation_gallery = entries  # type: ignore[attr-defined]


def _table(rows: list[tuple[str, str]]) -> list[str]:
    lines = [".. list-table::", "   :widths: 1 2", ""]
    for name, value in rows:
        lines += [f"   * - {name}", f"     - {value}"]
    return [*lines, ""]


class GalleryDirective(SphinxDirective):
    """``.. cavitation-gallery::``: each rendered sound with its player and figures."""

    def run(self) -> list[nodes.Node]:
        """Lay out the sounds that :func:`render_gallery` rendered.

        Returns
        -------
        list of Node
            A section per sound.
        """
        entries = getattr(self.env, "cavitation_gallery", None)
        if entries is None:
            return [nodes.paragraph(text="The gallery's sounds are rendered in HTML builds.")]
        up = "../" * self.env.docname.count("/")
        lines: list[str] = []
        for entry in entries:
            stem = f"{up}{FOLDER}/{entry['stem']}"
            lines += [entry["title"], "-" * len(entry["title"]), "",
                      f"{entry['description'][:1].upper()}{entry['description'][1:]}."
                      f" {entry['seconds']:.2f} s of sound. The same with the command"
                      " line:", "", ".. code-block:: text", "", f"   {entry['command']}", "",
                      ".. raw:: html", "",
                      f'   <p><audio controls preload="none" src="{stem}.wav"></audio>'
                      f' <a href="{stem}.wav">{entry["stem"]}.wav</a>,'
                      f' <a href="{stem}.json">{entry["stem"]}.json</a></p>', "",
                      *_table(entry["figures"]),
                      ".. raw:: html", "",
                      f'   <p><img src="{stem}.png" alt="the dashboard of {entry["stem"]}"'
                      ' style="max-width: 100%"></p>', ""]
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source="gallery"), container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the gallery's directive and its rendering.

    Parameters
    ----------
    app : Sphinx
        The application.

    Returns
    -------
    dict
        The extension's metadata.
    """
    app.add_directive("cavitation-gallery", GalleryDirective)
    app.connect("builder-inited", render_gallery)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
