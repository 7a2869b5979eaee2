"""The documentation builds with no warning, and shows what it claims to show.

One build (Sphinx, in a subprocess: its own deprecation warnings are not this suite's)
with warnings as errors, broken cross-references among them; then the pages are read
as a reader would find them: the gallery's players point to sounds that exist and are
not silent, the figures exist, the API reference documents the chain's functions, the
validation page holds the report and the physics page its equations.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML site, built once for this module's tests."""
    out = tmp_path_factory.mktemp("html")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                           "html", str(DOCS), str(out)], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-5000:]
    return out


def test_builds_without_a_warning(site: Path) -> None:
    # -W makes any warning fail the build (above); a page of each kind is there.
    for page in ("index", "getting-started", "guide/index", "guide/cavity", "physics",
                 "validation", "gallery", "speed", "api/index"):
        assert (site / f"{page}.html").is_file(), page


def test_the_gallery_plays_sounds_that_were_rendered(site: Path) -> None:
    page = (site / "gallery.html").read_text()
    sources = re.findall(r'<audio controls[^>]*src="([^"]+\.wav)"', page)
    images = re.findall(r'<img src="([^"]+\.png)"', page)
    assert len(sources) == 3 and len(images) == 3
    for source in sources:
        samples, samplerate_hz = soundfile.read(site / source)
        assert samplerate_hz == 48000
        # Normalised to a true peak of -1 dBTP: the sample peak is within 1 dB of it.
        assert -2.0 < 20.0 * np.log10(np.max(np.abs(samples))) <= -1.0 + 1e-6, source
    for image in images:
        assert (site / image).read_bytes().startswith(b"\x89PNG"), image
    # The figures measured on each sound: the knuckle's as the README gives them.
    assert "72.1 dB SPL" in page and "114 Hz" in page
    assert "pops heard (as the studies counted them)" in page


def test_the_api_reference_documents_the_chain(site: Path) -> None:
    for page, name in (("render", "cavitation.render.render"),
                       ("bubble", "cavitation.bubble.solve"),
                       ("simulation", "cavitation.simulation.simulate"),
                       ("confined", "cavitation.confined.accelerations"),
                       # A parameter set's field, from its metadata: unit, range, source.
                       ("joint", "cavitation.joint.Joint.mass_kg")):
        assert f'id="{name}"' in (site / "api" / f"{page}.html").read_text(), name
    joint = (site / "api" / "joint.html").read_text()
    assert "Unit: <code" in joint and "valid range:" in joint


def test_the_validation_page_holds_the_report(site: Path) -> None:
    page = (site / "validation.html").read_text()
    report = (ROOT / "README.md").read_text().split("<!-- validation report: begin -->")[1]
    # A row of the report, as the README holds it, is a row of the page's table.
    first_row = next(line for line in report.splitlines() if line.startswith("| `"))
    constant = first_row.split("|")[1].strip().strip("`")
    assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{constant}" \
           in page
    assert "Constants fitted to a published figure" in page


def test_the_physics_page_has_its_equations_and_sources(site: Path) -> None:
    page = (site / "physics.html").read_text()
    assert page.count('class="math') >= 20
    for source in ("Keller &amp; Miksis 1980", "Stefan 1874", "Epstein &amp; Plesset 1950",
                   "Minnaert", "Rayleigh 1917"):
        assert source in page, source
