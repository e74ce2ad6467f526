"""The notebooks run from a clean kernel (they are stored without outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_notebooks_are_stored_without_outputs() -> None:
    import nbformat

    assert len(NOTEBOOKS) >= 3
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises on the first cell that fails
    code = [c for c in book.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    # every notebook ends by showing a map: folium's HTML, with the run's hubs on it
    shown = [
        o["data"]["text/html"]
        for c in code
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    assert any("leaflet" in html.lower() and "ep-hub-icon" in html for html in shown)
    if path.stem == "04_explorer":  # the explorer's panel is built (a kernel has no screen)
        views = [o for c in code for o in c.get("outputs", []) if WIDGET in o.get("data", {})]
        assert views, "the explorer notebook shows explorer.widget"


WIDGET = "application/vnd.jupyter.widget-view+json"
