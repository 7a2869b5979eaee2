"""The package type-checks: mypy's default checks on cavitation/ (pyproject's [tool.mypy])."""

import subprocess
import sys
from pathlib import Path

import pytest


def test_mypy_finds_no_error_in_the_package():
    pytest.importorskip("mypy")
    root = Path(__file__).parents[1]
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_parameter_classes_take_their_fields_as_keywords_for_a_type_checker(tmp_path):
    # A user's script that builds parameter sets by keyword, and one that misspells a
    # field: the first passes, the second is caught, as a dataclass's would be.
    pytest.importorskip("mypy")
    good = tmp_path / "good.py"
    good.write_text("import cavitation as cv\n"
                    "j = cv.Joint(mass_kg=0.05, area_m2=2e-4)\n"
                    "p = cv.RampAndHold(peak_force_n=80.0)\n"
                    "s = cv.render.__module__\n")
    bad = tmp_path / "bad.py"
    bad.write_text("import cavitation as cv\nj = cv.Joint(mass_g=50)\n")
    done = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports",
                           "--cache-dir", str(tmp_path / "cache"), str(good), str(bad)],
                          capture_output=True, text=True, timeout=600)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert errors and all(line.startswith(str(bad)) for line in errors), done.stdout
    assert 'Unexpected keyword argument "mass_g" for "Joint"' in done.stdout
