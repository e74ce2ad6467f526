"""Sphinx configuration: the user guide (MyST markdown), the API reference generated
from the numpydoc docstrings, and the notebooks rendered as examples (not executed).

Build offline with warnings as errors, as ``tests/test_docs.py`` does::

    sphinx-build -W --keep-going -b html docs /tmp/docs-out
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the source tree wins over an installed copy

import estate_planner  # noqa: E402

project = "estate-planner"
author = "estate-planner contributors"
copyright = "estate-planner contributors"  # noqa: A001
release = estate_planner.__version__
version = release

extensions = [
    "myst_nb",  # markdown pages (MyST) and the notebooks as examples
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
root_doc = "index"

# The notebooks are shown as written; the tests run them (tests/test_notebooks.py).
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No network: nothing is fetched while building (no intersphinx inventories).
nitpicky = False

html_theme = "furo"
html_title = f"estate-planner {release}"
html_static_path: list[str] = []


def setup(app):  # noqa: ANN001, ANN201 - Sphinx's extension hook
    """A class re-exported at two levels (``estate_planner.Selection`` and
    ``estate_planner.optimise.Selection``) registers its one canonical name twice; that is
    the same object, not a duplicate description, so the second alias is ignored."""
    from sphinx.domains.python import PythonDomain

    note_object = PythonDomain.note_object

    def note_once(self, name, objtype, node_id, aliased=False, location=None):  # noqa: ANN001
        if aliased and name in self.objects and self.objects[name].aliased:
            return
        note_object(self, name, objtype, node_id, aliased=aliased, location=location)

    PythonDomain.note_object = note_once
    return {"parallel_read_safe": True}
