"""Sphinx configuration of cavitation's documentation.

Build it from the top of the repository with
``python -m sphinx -W -b html docs docs/_build/html``. The build is hermetic: no
inventory or other file is fetched from the network (no intersphinx), and the gallery
is rendered by the package itself while the documentation builds (``_ext/gallery.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
# The code of this tree is documented, whatever else is installed; then the local
# extensions (the API's additions, the gallery).
sys.path[:0] = [str(HERE.parent), str(HERE / "_ext")]

import cavitation  # noqa: E402  (after the path to the local extensions)

project = "cavitation"
author = "cavitation developers"
copyright = "cavitation developers, MIT licence"
release = cavitation.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "apidocs",
    "gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"cavitation {release}"
html_theme_options = {"description": "The audible crack of a synovial joint",
                      "fixed_sidebar": True}

# A broken cross-reference is a warning, and the build runs with warnings as errors.
nitpicky = True
nitpick_ignore_regex = [
    # External types in signatures and docstrings: no inventory is fetched (the build is
    # hermetic), so these cannot be resolved; they are not this package's references.
    (r"py:.*", r"(numpy|scipy|matplotlib|pandas|soundfile|numba)(\..*)?"),
    (r"py:.*", r"(collections\.abc|typing|os|pathlib|argparse|concurrent\.futures)\..*"),
]
nitpick_ignore = [
    # A TypeVar in the signature of cavitation.parameters.replace, not an object.
    ("py:class", "cavitation.parameters.P"),
]

autodoc_member_order = "bysource"
# Defaults as the source writes them (``joint: Joint = KNUCKLE``), not as long reprs.
autodoc_preserve_defaults = True
# numpydoc: the members are listed by autodoc itself (``:members:``), not as tables.
numpydoc_show_class_members = False

# MyST: ``$...$`` and ``$$...$$`` math in the Markdown pages; heading anchors so that
# the README's own links (``[Speed](#speed)``) resolve where its sections are included.
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
