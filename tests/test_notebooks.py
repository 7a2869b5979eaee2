"""Every notebook runs from top to bottom (nbclient), and shows what it promises: each
cell that draws leaves an image, each cell that renders a sound leaves a player."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))

#: A cell draws if it calls a plotting function: ``plot.NAME(``, ``plt.``, an Axes's
#: ``.plot(``, ``population_figure(``, ``dashboard(``, shows a rendering (its
#: dashboard), or the explorer (its view).
DRAWS = re.compile(r"\bplot\.\w+\(|\bplt\.|\.plot\(|population_figure\(|display\(r\w*\)"
                   r"|display\(rendering\)|\bdashboard\(|\bexplore\(|\.snapshot\(")
#: A cell renders a sound if it calls ``render(`` or ``render_scenario(``, shows the
#: explorer, or runs notebook 02's sweep ``study(`` (a call, not its definition). Not
#: counted: ``validation.report(``, whose sounds are measured into a table.
RENDERS = re.compile(r"\brender(_scenario)?\(|\bexplore\(|\.snapshot\(|(?<!def )\bstudy\(")


def _html(output) -> str:
    return output.get("data", {}).get("text/html", "") if "data" in output else ""


def shows_image(cell) -> bool:
    """The cell left a picture: a PNG or SVG output, or HTML with an inline image."""
    return any({"image/png", "image/svg+xml"} & set(out.get("data", {}))
               or "<img" in _html(out) for out in cell.outputs)


def shows_player(cell) -> bool:
    """The cell left an audio player with a sound in it."""
    return any(re.search(r'<audio controls src="data:audio/wav;base64,\w', _html(out))
               for out in cell.outputs)


def test_there_are_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_knuckle_crack.ipynb",
                                           "02_parameter_study.ipynb",
                                           "03_upper_cervical.ipynb",
                                           "04_explorer.ipynb"]


def test_the_checks_can_fail():
    # A cell that printed a bare figure's text, and one whose rendering was not shown.
    drawn = nbformat.v4.new_code_cell("plot.plot_sweep(rows, 'x')")
    drawn.outputs = [nbformat.v4.new_output(
        "execute_result", data={"text/plain": "<Figure size 1500x340 with 4 Axes>"},
        execution_count=1)]
    assert DRAWS.search(drawn.source) and not shows_image(drawn)
    rendered = nbformat.v4.new_code_cell("r = cv.render()\nprint(r.features)")
    rendered.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Features(...)")]
    assert RENDERS.search(rendered.source) and not shows_player(rendered)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_its_figures_and_sounds(path):
    notebook = nbformat.read(path, as_version=4)
    # Committed without outputs: what is in the repository is the code, not a stale run.
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    # Warnings are errors, as in the rest of the suite (the cell is the test's, not the
    # notebook's: readers see the notebook as committed).
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        "import warnings\nwarnings.simplefilter('error')"))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    cells = [cell for cell in notebook.cells[1:] if cell.cell_type == "code"]
    errors = [out for cell in cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    blank = [cell.source.splitlines()[0] for cell in cells
             if DRAWS.search(cell.source) and not shows_image(cell)]
    assert blank == [], "cells that draw but show no image"
    silent = [cell.source.splitlines()[0] for cell in cells
              if RENDERS.search(cell.source) and not shows_player(cell)]
    assert silent == [], "cells that render a sound but show no player"
    assert any(DRAWS.search(cell.source) for cell in cells), "the notebook draws nothing"
    assert any(RENDERS.search(cell.source) for cell in cells), "the notebook plays nothing"
