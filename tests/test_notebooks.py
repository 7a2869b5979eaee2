"""Every notebook runs from top to bottom (nbclient), so none can go stale."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_knuckle_crack.ipynb",
                                           "02_parameter_study.ipynb",
                                           "03_upper_cervical.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path):
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
    errors = [out for cell in notebook.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    shown = [out for cell in notebook.cells if cell.cell_type == "code"
             for out in cell.outputs if out.output_type in ("display_data", "execute_result")]
    assert shown, "the notebook displays nothing"
