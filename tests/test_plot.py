"""The figures: they show themselves in a notebook, read like a paper's, and say why a
pull did not crack."""

import io

import matplotlib.text
import numpy as np
import pytest
import soundfile as sf

import cavitation as cv
from cavitation import audio, plot
from cavitation.presets import get_preset


@pytest.fixture(scope="module")
def knuckle() -> cv.Rendering:
    return cv.render()


@pytest.fixture(scope="module")
def no_crack() -> cv.Rendering:
    # A threshold of -500 kPa: the 60 N pull takes the capsule only to -261 kPa.
    return cv.render(cv.replace(cv.KNUCKLE, **{"nucleation.pressure_pa": -5e5}))


def _texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]


def test_a_figure_shows_itself_as_png_without_pyplot(knuckle):
    # IPython asks for _repr_png_: a plain Figure would show "<Figure size ...>".
    rows = [{"status": "ok", "x": x, "summary": {"nucleation_force_n": 30.0 + x,
                                                 "gap_jump_m": 1e-3},
             "features": {"peak_level_db": 70.0, "dominant_frequency_hz": 100.0}}
            for x in (1.0, 2.0, 3.0)]
    for figure in (plot.dashboard(knuckle), plot.plot_sweep(rows, "x"),
                   plot.plot_waveform(knuckle).figure):
        assert isinstance(figure, plot.RichFigure)
        assert figure._repr_png_().startswith(b"\x89PNG")


def test_the_dashboard_reads_like_a_figure_from_a_paper(knuckle):
    figure = plot.dashboard(knuckle)
    # A double column wide; a title naming the joint and where it is heard.
    assert figure.get_size_inches()[0] == pytest.approx(plot.DOUBLE_COLUMN_IN)
    assert figure.get_suptitle() == "knuckle, heard by a microphone in air at 10 cm"
    # Lettered panels, a to h.
    letters = [ax.get_title(loc="left").split("$")[1][4] for ax in figure.axes
               if ax.get_title(loc="left")]
    assert letters == list("abcdefgh")
    # One time origin: every time axis is in ms after nucleation.
    time_axes = {ax.get_xlabel() for ax in figure.axes if "time" in ax.get_xlabel()}
    assert time_axes == {"time after nucleation [ms]"}
    # Every axis label carries a unit.
    labels = [label for ax in figure.axes for label in (ax.get_xlabel(), ax.get_ylabel())
              if label]
    assert all("[" in label and "]" in label for label in labels), labels
    # No label from the code: the source is said in words.
    assert not any("(full)" in text for text in _texts(figure))


def test_ringing_is_not_called_a_collapse():
    # The sphere in the knuckle rings as it grows: 27 minima of its volume, of which
    # only those where it falls by a quarter of its last maximum are collapses.
    sphere = cv.simulate(geometry="sphere")
    collapses, rebounds = plot.collapses_and_rebounds(sphere)
    assert 1 <= collapses.size < sphere.events.collapse_s.size / 3
    assert collapses[0] == sphere.events.collapse_s[0]
    assert rebounds.size >= 1 and np.all(rebounds > collapses[0])
    # The confined knuckle: one partial collapse (to 68 % of its largest volume), one
    # rebound.
    confined = cv.simulate()
    collapses, rebounds = plot.collapses_and_rebounds(confined)
    assert collapses.size == 1 and rebounds.size == 1
    legend = [t.get_text() for t in plot.plot_radius(confined).get_legend().get_texts()]
    assert {"end of growth", "collapse", "rebound"} <= set(legend)


def test_the_spectrogram_is_zoomed_to_the_event(knuckle):
    ax = plot.plot_spectrogram(knuckle)
    low_hz, high_hz = ax.get_ylim()
    # The knuckle's sound reaches 60 dB below its loudest cell near 10 kHz, not the
    # 24 kHz of the rate's Nyquist frequency.
    assert low_hz == 20.0 and plot.SPECTROGRAM_MIN_TOP_HZ <= high_hz < 20_000.0
    left_ms, right_ms = ax.get_xlim()
    assert -5.0 < left_ms < 0.0 < 20.0 < right_ms < 40.0


def test_a_pull_that_does_not_crack_shows_how_far_short_it_fell(no_crack):
    figure = plot.dashboard(no_crack)
    assert figure.get_suptitle().endswith(": no crack")
    texts = " ".join(_texts(figure))
    assert "kPa short of the threshold" in texts
    lowest_kpa = no_crack.crack.pressure_pa.min() / 1e3
    assert f"lowest {lowest_kpa:.0f} kPa" in texts
    assert {ax.get_xlabel() for ax in figure.axes if ax.get_xlabel()} == {
        "time from the start of the pull [ms]"}
    assert "no crack: silence" in no_crack._repr_html_()


@pytest.mark.parametrize("kind", ["pdf", "svg"])
def test_vector_figures_are_small_and_reproducible(knuckle, kind):
    first = plot.figure_bytes(plot.dashboard(knuckle), kind)
    assert first == plot.figure_bytes(plot.dashboard(knuckle), kind)
    assert first.startswith(b"%PDF" if kind == "pdf" else b"<?xml")
    # The spectrogram inside is one image: 20 MB of SVG polygons before.
    assert len(first) < 1_000_000


def test_the_player_plays_at_a_listening_level_and_says_so(knuckle):
    samples, played = knuckle.listening()
    assert played == f"listening level: {audio.LISTENING_LUFS:g} LUFS"
    assert audio.loudness_lufs(samples, knuckle.samplerate_hz) == pytest.approx(
        audio.LISTENING_LUFS, abs=0.05)
    # The file's level is untouched: calibrated, 48 dB below full scale.
    assert np.max(np.abs(knuckle.samples)) < 0.01
    html = knuckle._repr_html_()
    assert html.count("<img") == 1 and html.count("<audio") == 1
    assert "The player plays at the listening level: -30 LUFS; the file&#x27;s level is" \
           " calibrated." in html
    wav = html.split("data:audio/wav;base64,")[1].split('"')[0]
    import base64

    heard, rate = sf.read(io.BytesIO(base64.b64decode(wav)))
    assert rate == 48000 and np.max(np.abs(heard)) > 0.3


def test_a_peaky_sound_plays_under_the_true_peak_ceiling():
    # A neck pop at the skin is too peaky for -30 LUFS under -1 dBTP: it plays at the
    # ceiling, and the caption says how loud that is.
    preset = get_preset("atlanto-axial")
    pop = cv.render(preset.joint, preset.loading, listener_kind="contact")
    samples, played = pop.listening()
    assert played.startswith("listening level: true peak -1 dBTP, -3")
    assert audio.true_peak_dbtp(samples) == pytest.approx(-1.0, abs=0.01)
    assert audio.listening_gain(np.zeros(100), 48000) == (1.0, "listening level: silence")
    with pytest.raises(ValueError,
                       match=r"target_lufs = 5.0 LUFS is out of range; valid range: \[-70, 0\]"):
        audio.listening_gain(pop.signal, 48000, 5.0)


def test_the_waveform_shows_the_whole_ringing_sound():
    # A sphere in the atlanto-occipital joint rings for 35 ms (to -20 dB): past the
    # 25 ms the window used to end at.
    preset = get_preset("atlanto-occipital")
    ringing = cv.render(preset.joint, preset.loading, geometry="sphere")
    x = np.abs(ringing.signal)
    last_loud_ms = (ringing.t_s[np.flatnonzero(x >= 0.1 * x.max())[-1]]
                    - ringing.crack.summary.crack_time_s) * 1e3
    assert last_loud_ms > 30.0
    for ax in (plot.plot_waveform(ringing), plot.plot_spectrogram(ringing)):
        assert ax.get_xlim()[1] > last_loud_ms


def test_a_clip_shorter_than_a_frame_still_draws():
    from cavitation.render import AudioSettings

    short = cv.render(settings=AudioSettings(trim_db=3.0, pad_before_s=0.0, pad_after_s=0.0))
    assert short.signal.size < plot.SPECTROGRAM_FRAME_S * short.samplerate_hz
    figure = plot.dashboard(short)
    assert "shorter than one 8 ms frame" in " ".join(_texts(figure))


def test_a_thrust_where_nothing_cracks_says_so():
    import dataclasses

    from cavitation import scenario as sc

    thrust = sc.get_scenario("upper-cervical")
    weak = dataclasses.replace(thrust, loading=cv.replace(thrust.loading, preload_n=5.0,
                                                          peak_force_n=10.0))
    silent = sc.render_scenario(sc.simulate_scenario(weak), listener_kind="contact")
    assert not any(c.cracked for c in silent.cracks)
    figure = plot.dashboard(silent)
    assert figure.get_suptitle().endswith(": no crack")
    assert "kPa short of the threshold" in " ".join(_texts(figure))


def test_pdf_fonts_are_truetype(knuckle):
    pdf = plot.figure_bytes(plot.dashboard(knuckle), "pdf")
    assert b"/FontFile2" in pdf and b"/Type3" not in pdf  # journals refuse Type 3


def test_the_style_leaves_the_callers_other_axes_alone(knuckle):
    figure = plot.new_figure(6.0, 3.0)
    mine, theirs = figure.subplots(1, 2)
    theirs.tick_params(labelsize=14)
    plot.plot_waveform(knuckle, mine)
    assert theirs.xaxis.get_major_ticks()[0].label1.get_fontsize() == 14
    assert mine.xaxis.get_major_ticks()[0].label1.get_fontsize() == plot.STYLE[
        "xtick.labelsize"]


def test_noise_without_a_crack_is_called_noise_and_nothing_is_blown_up():
    from cavitation.render import AudioSettings

    weak = cv.replace(cv.KNUCKLE, **{"nucleation.pressure_pa": -5e5})
    noisy = cv.render(weak, settings=AudioSettings(noise_rms_pa=0.01))
    assert "no crack: background noise only" in noisy.player().caption
    assert audio.listening_gain(np.full(100, 1e-12), 48000) == (1.0,
                                                              "listening level: silence")


def test_the_player_counts_pops_as_the_dashboard_does():
    from cavitation import detection
    from cavitation import scenario as sc

    thrust = sc.render_scenario(sc.simulate_scenario(sc.get_scenario("upper-cervical")),
                                listener_kind="contact")
    heard = detection.detect(thrust.signal, thrust.samplerate_hz, thrust.start_s).count
    assert heard == thrust.pops_heard > 1
    assert f"pops heard {heard}" in thrust.player().caption


def test_a_panel_drawn_alone_shows_as_its_figure_in_ipython(knuckle):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert plot.show_axes_in_ipython(shell)
        shown, _ = shell.display_formatter.format(plot.plot_spectrum(knuckle))
        assert shown["image/png"].startswith(b"\x89PNG")
        # An Axes of someone else's figure is left alone.
        from matplotlib.figure import Figure

        theirs, _ = shell.display_formatter.format(Figure().add_subplot())
        assert "image/png" not in theirs
    finally:
        InteractiveShell.clear_instance()


def test_a_png_drawn_once_is_savefigs_png_and_leaves_the_figure_as_it_was(knuckle):
    # The package's figures are printed on an Agg canvas of their own, drawn once: the
    # bytes savefig makes of a new figure of the same dashboard. Any other figure goes
    # through savefig; either way the figure keeps its canvas and its dpi.
    import io

    import matplotlib.pyplot as plt

    fast = plot.dashboard(knuckle)
    canvas, dpi = fast.canvas, fast.dpi
    png = plot.figure_bytes(fast, "png")
    assert (fast.canvas, fast.dpi) == (canvas, dpi)
    buffer = io.BytesIO()
    plot.dashboard(knuckle).savefig(buffer, format="png", dpi=150.0, metadata={})
    assert png == buffer.getvalue()
    other = plt.figure(figsize=(2.0, 1.5), dpi=80.0)
    try:
        other.add_subplot().plot([0.0, 1.0])
        canvas = other.canvas
        assert plot.figure_bytes(other, "png", dpi=100.0).startswith(b"\x89PNG")
        assert (other.canvas, other.dpi) == (canvas, 80.0)
    finally:
        plt.close(other)


def test_a_thump_without_a_spectral_peak_is_said_so_not_drawn_at_20_hz():
    # The neck with half its fluid: a 0.2 ms thump whose spectrum only falls from 20 Hz
    # up. Its "dominant frequency" was the band's edge, 20 Hz, marked on the axis.
    neck = get_preset("atlanto-axial")
    rendering = cv.render(cv.replace(neck.joint, **{"capsule.fluid_volume_m3": 5e-8}),
                          neck.loading, listener_kind="contact")
    assert np.isnan(rendering.features.dominant_frequency_hz)
    text = plot._key_figures(rendering)
    assert "no spectral peak above 20 Hz,\ncentroid" in text and "nan" not in text
    ax = plot.plot_spectrum(rendering)
    assert not ax.get_legend() and len(ax.lines) == 1  # the spectrum, no marker


def test_a_scenario_is_heard_over_its_joints_depths_in_whole_millimetres():
    # A person's title read "36.2614 mm over the joint": one joint's depth, unrounded,
    # for six joints at different depths.
    from cavitation import scenario

    thrust = scenario.get_scenario("upper-cervical")
    heard = scenario.render_scenario(scenario.simulate_scenario(thrust), listener_kind="contact")
    depths = sorted({round(s.joint.body.depth_m * 1e3) for s in thrust.sites})
    assert plot.listener_words(heard) == (f"a microphone on the skin, {depths[0]}-{depths[-1]}"
                                          " mm over the joints")
    neck = get_preset("atlanto-axial")
    one = cv.render(neck.joint, neck.loading, listener_kind="accelerometer")
    assert plot.listener_words(one) == "an accelerometer on the skin, 40 mm over the joint"


def test_the_pops_per_thrust_legend_leaves_the_bars_clear():
    # The legend sat in the upper right over the tallest bars (notebook 03).
    counts = np.array([3, 3, 3, 4, 4, 4, 4, 5, 5, 2, 3, 4])  # tallest bars on the right
    ax = plot.plot_pops_per_thrust(counts, published_counts={2: 3, 3: 9, 4: 4},
                                   published_mean=3.5, title="t")
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    bars = [p.get_window_extent() for p in ax.patches if p.get_height() > 0]
    assert bars and not any(legend.overlaps(bar) for bar in bars)


@pytest.mark.parametrize("geometry", ["sphere", "confined"])
def test_the_pressure_legend_hides_no_line(geometry):
    # At the centre right it hid a spherical cavity's ringing (lumbar facet).
    facet = get_preset("lumbar-facet")
    crack = cv.simulate(facet.joint, facet.loading, geometry=geometry, after_crack_s=0.015)
    ax = plot.plot_pressure(crack)
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    for line in ax.lines:  # the pressure's samples, and the two horizontal lines
        x, y = line.get_transform().transform(line.get_xydata()).T
        across = (x.min() <= legend.x1) & (x.max() >= legend.x0)  # a line spans the axes
        hits = (((x >= legend.x0) & (x <= legend.x1)) | (across & (x.size == 2))) \
            & (y >= legend.y0) & (y <= legend.y1)
        assert not np.any(hits), line.get_label()


def test_a_silent_scenarios_dashboard_keeps_its_titles_and_figures_apart():
    # Panel b's title, "(C1-C2 left)" and all, ran into panel c's, and the key figures
    # ran off the figure's right edge.
    import dataclasses

    from cavitation import scenario

    thrust = scenario.get_scenario("upper-cervical")
    weak = dataclasses.replace(thrust, loading=dataclasses.replace(thrust.loading,
                                                                    peak_force_n=25.0))
    rendering = scenario.render_scenario(scenario.simulate_scenario(weak),
                                         listener_kind="contact")
    assert not any(c.cracked for c in rendering.cracks)
    figure = plot.dashboard(rendering)
    figure.draw_without_rendering()
    titles = [text.get_window_extent() for ax in figure.axes
              for text in ax.get_children() if isinstance(text, matplotlib.text.Text)
              and text.get_text() == ax.get_title(loc="left") != ""]
    assert len(titles) == 3
    assert not any(a.overlaps(b) for i, a in enumerate(titles) for b in titles[i + 1:])
    edge = figure.bbox.x1
    assert all(text.get_window_extent().x1 <= edge for ax in figure.axes for text in ax.texts)
