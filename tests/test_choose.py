"""The choice stage's helpers (estate_planner/stages/choose.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from estate_planner.cache import Cache
from estate_planner.stages.choose import cell_size_m


def test_the_cell_size_is_the_side_of_a_square_of_the_cells_area(tmp_path: Path) -> None:
    """A WorldPop-like grid of 560 m by 930 m cells (by hand: sqrt(560 * 930) = 721.7 m),
    with a few cells missing (no people) and centres off by up to a metre."""
    rng = np.random.default_rng(1)
    east, north = np.meshgrid(np.arange(12) * 560.0, np.arange(9) * 930.0)
    xy = np.column_stack([east.ravel() + 450_000, north.ravel() + 300_000])
    xy = np.delete(xy, [3, 17, 40, 41], axis=0) + rng.uniform(-1, 1, (len(xy) - 4, 2))
    assert cell_size_m(xy) == pytest.approx(np.sqrt(560 * 930), abs=2)
    cache = Cache(tmp_path / "cache")
    first, reused = cache.call_status(cell_size_m, xy)
    again, reused_again = cache.call_status(cell_size_m, xy)
    assert (reused, reused_again) == (False, True) and first == again == cell_size_m(xy)


def test_too_few_cells_have_no_size() -> None:
    assert cell_size_m(np.zeros((4, 2))) is None
