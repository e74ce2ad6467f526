"""Certainty by dimension: a threshold artefact is flagged and never called stable, every
re-solve answers the run's own question, and reach on several modes chooses as worked
out by hand.

Expected values are worked out by hand in the comments from the small instances here,
never read from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from estate_planner import certainty, load_scenario, pipeline
from estate_planner.access import within
from estate_planner.optimise import Question
from estate_planner.reach import Travel

REPO = Path(__file__).resolve().parent.parent
MIN = 60.0
INF = np.inf

# Sites X, Y, Z and one existing service S; demand points a1, a2 (100 people each),
# b (150) and c (80). Times in minutes, point -> site:
#   a1, a2: 9.5 from X (inside the 10-minute line), 10.5 from S (just outside it)
#   b: 3 from Y;  c: 4 from Z;  nothing else within 20 minutes.
# At 10 minutes the best two are X (200, all of it the two cells crossing the line) and
# Y (150). At 5 minutes X reaches no one; at 15 minutes S reaches a1 and a2 anyway: both
# times the best two are Y and Z (230). X is a threshold artefact; Y is not.
CANDIDATES = np.array(
    [
        [9.5, 9.5, INF, INF],  # X
        [INF, INF, 3.0, INF],  # Y
        [INF, INF, INF, 4.0],  # Z
    ]
)
SERVICES = np.array([[10.5, 10.5, INF, INF]])  # S
PEOPLE = np.array([100.0, 100.0, 150.0, 80.0])
SITES = pd.DataFrame({"site_id": ["X", "Y", "Z"], "name": ["x", "y", "z"]})


def _sparse(minutes: np.ndarray) -> sp.csr_matrix:
    rows, cols = np.nonzero(np.isfinite(minutes))
    return sp.csr_matrix((minutes[rows, cols] * MIN, (rows, cols)), shape=minutes.shape)


def _artefact(**request: object) -> tuple[Question, Travel, list[certainty.Change], tuple]:
    ways = Travel(("walk",), (_sparse(CANDIDATES),), (_sparse(SERVICES),), (10 * MIN,))

    def at(shift: float) -> Question:
        times, fixed, threshold = ways.combined(shift_s=shift * MIN)
        return base.changed(times=times, fixed=fixed, threshold=threshold)

    times, fixed, threshold = ways.combined()
    base = Question(times, PEOPLE, 2, threshold, fixed, time_limit=10.0, **request)  # type: ignore[arg-type]
    changes = [
        certainty.Change("threshold", "chosen_threshold_minus_5_min", "-5 min", at(-5), PEOPLE),
        certainty.Change("threshold", "chosen_threshold_plus_5_min", "+5 min", at(5), PEOPLE),
    ]
    return base, ways, changes, (at(-2), at(2))


def test_a_hub_whose_gain_is_two_cells_crossing_the_line_depends_on_the_threshold() -> None:
    base, _, changes, margin = _artefact()
    chosen = base.solve().chosen
    assert sorted(chosen) == [0, 1]  # X 200 + Y 150, by hand
    found = certainty.certainty(base, PEOPLE, chosen, changes, margin, SITES, min_gain=0.0)
    hubs = found.hubs.set_index("site_id")
    x, y = hubs.loc["X"], hubs.loc["Y"]
    # X's gain across the band: nobody at 5 min, a1 + a2 at 10, nobody at 15 (S reaches them)
    assert x["people_only_this_hub_reaches_threshold_minus_5_min"] == 0
    assert x["people_only_this_hub_reaches"] == 200
    assert x["people_only_this_hub_reaches_threshold_plus_5_min"] == 0
    assert x["near_threshold_share"] == 1.0
    assert bool(x["depends_on_threshold"]) and not bool(x["stable"])
    assert not x["chosen_threshold_minus_5_min"] and not x["chosen_threshold_plus_5_min"]
    # Y reaches b at 3 minutes whatever the line: chosen throughout, stable
    assert y["near_threshold_share"] == 0.0
    assert not bool(y["depends_on_threshold"]) and bool(y["stable"])
    assert list(found.runs["chosen"]) == [["X", "Y"], ["Y", "Z"], ["Y", "Z"]]
    # headline: 350 brought within reach as chosen, 230 under either change
    brought = found.headline.set_index("figure").loc["people_brought_within_reach"]
    assert (brought["value"], brought["min"], brought["max"]) == (350, 230, 350)
    # the board's next question: without X, Y stays and Z (80) comes in, losing 120;
    # without Y, X stays and Z comes in, losing 70
    assert x["substitute_site_id"] == "Z" and x["people_lost_if_unavailable"] == 120
    assert y["substitute_site_id"] == "Z" and y["people_lost_if_unavailable"] == 70
    holds = found.holds.set_index("conclusion")
    assert holds.loc["hub 1, x, is chosen", "-5 min"] == "does not hold"
    assert holds.loc["hub 2, y, is chosen", "+5 min"] == "holds"


def test_every_re_solve_answers_the_runs_own_question() -> None:
    """Forced sites and a budget hold in every change and every substitute: the changes
    are the one Question with one field changed, not a simpler copy of it."""
    costs = np.array([50.0, 10.0, 10.0])
    base, _, changes, margin = _artefact(forced=(2,), costs=costs, budget=70.0)
    chosen = base.solve().chosen
    # Z forced; the budget of 70 leaves room for X (50) or Y (10): X + Z reach 280 > 230
    assert sorted(chosen) == [0, 2]
    found = certainty.certainty(base, PEOPLE, chosen, changes, margin, SITES, min_gain=0.0)
    for answer in found.runs["chosen"]:
        assert "Z" in answer
        assert costs[[SITES.index[SITES["site_id"] == s][0] for s in answer]].sum() <= 70
    hubs = found.hubs.set_index("site_id")
    # without X: Z stays and Y fits the budget (230); X's 200 give way to Y's 150
    assert hubs.loc["X", "substitute_site_id"] == "Y"
    assert hubs.loc["X", "people_lost_if_unavailable"] == 50


def test_weight_draws_span_the_declared_range_corners_first() -> None:
    weights = {"population": 1.0, "age_65_plus": 0.5, "imd_decile_1_2": 2.0}
    draws = certainty.weight_draws(weights, runs=20, spread=0.5, seed=3)
    factors = np.array([[d[k] / w for k, w in weights.items()] for d in draws])
    assert (factors >= 0.5 - 1e-12).all() and (factors <= 1.5 + 1e-12).all()
    # the six corners that are not all-low or all-high (those only rescale need) come first
    corners = {tuple(f) for f in factors[:6]}
    assert len(corners) == 6 and all(set(c) <= {0.5, 1.5} for c in corners)
    again = certainty.weight_draws(weights, runs=20, spread=0.5, seed=3)
    assert again == draws
    assert certainty.weight_draws(weights, runs=20, spread=0.5, seed=4) != draws


# Multi-mode, worked by hand. Walk threshold 10 min, drive 5 min; one hub.
# Sites A and B; points P1 (100 people, 40% in households without a car), P2 (90, 90%)
# and P3 (50, 50%). Minutes:
#   P1: A 30 walking, 4 driving;  P2: B 8 walking, 2 driving;  P3: A 4 driving only.
# - Walk alone: A reaches no one, B reaches P2 (90): B.
# - Driving for everyone: A reaches P1 + P3 by car (150), B 90: A.
# - Any mode a person can use, driving for car households only:
#   A reaches the car households of P1 (60) and P3 (25) = 85; B reaches all of P2 on
#   foot (90): B.
WALK = np.array([[30.0, INF, INF], [INF, 8.0, INF]])
DRIVE = np.array([[4.0, INF, 4.0], [INF, 2.0, INF]])
NO_SERVICE = np.zeros((0, 3))
TOWN = np.array([100.0, 90.0, 50.0])
NO_CAR = np.array([0.4, 0.9, 0.5])


def _two_modes(no_car: np.ndarray | None) -> Travel:
    return Travel(
        ("walk", "drive"),
        (_sparse(WALK), _sparse(DRIVE)),
        (_sparse(NO_SERVICE), _sparse(NO_SERVICE)),
        (10 * MIN, 5 * MIN),
        no_car,
    )


def _choose(ways: Travel) -> list[int]:
    times, fixed, threshold = ways.combined()
    need = ways.columns().spread(TOWN)
    return Question(times, need, 1, threshold, fixed, time_limit=10.0).solve().chosen


def test_several_modes_choose_as_worked_by_hand() -> None:
    walk = Travel(("walk",), (_sparse(WALK),), (_sparse(NO_SERVICE),), (10 * MIN,))
    assert _choose(walk) == [1]  # B
    assert _choose(_two_modes(None)) == [0]  # A: driving counts for everyone
    ways = _two_modes(NO_CAR)
    assert _choose(ways) == [1]  # B: 90 on foot against 85 car households
    table = ways.reached_by_mode(TOWN, [1]).set_index("mode")
    # who can drive: 100 x 0.6 + 90 x 0.1 + 50 x 0.5 = 94; B reaches P2's 9 by car
    assert table.loc["drive", "people_who_can_use"] == pytest.approx(94)
    assert table.loc["drive", "people_brought_within_reach"] == pytest.approx(9)
    assert table.loc["walk", "people_brought_within_reach"] == pytest.approx(90)
    assert table.loc["any usable mode", "people_brought_within_reach"] == pytest.approx(90)
    with_a = ways.reached_by_mode(TOWN, [0]).set_index("mode")
    assert with_a.loc["any usable mode", "people_brought_within_reach"] == pytest.approx(85)


def test_one_scale_is_exactly_any_mode_within_its_own_threshold() -> None:
    ways = _two_modes(NO_CAR)
    for shift in (-2.0, 0.0, 3.0):
        times, _, threshold = ways.combined(shift_s=shift * MIN)
        columns = ways.columns()
        got = within(times, threshold).toarray()
        walk_ok = (10 + shift >= WALK)[:, columns.point] & columns.uses[:, 0]
        drive_ok = (5 + shift >= DRIVE)[:, columns.point] & columns.uses[:, 1]
        np.testing.assert_array_equal(got, walk_ok | drive_ok)


def test_rutland_melton_road_depends_on_the_threshold(shared_data: Path) -> None:
    """With the floor-area minimum off, 34 Melton Road, Oakham (a point in OSM with no
    floor area) stays eligible and is chosen for two 1 km cells crossing the 20-minute
    line; it is flagged and not called stable."""
    del shared_data
    scenario = load_scenario(REPO / "scenarios" / "rutland.toml")
    result = pipeline.run(scenario.updated(scoring={"min_floor_area_m2": None}))
    hubs = result.decision.hubs
    melton = hubs[hubs["name"].str.contains("Melton Road")]
    assert len(melton) == 1
    row = melton.iloc[0]
    assert bool(row["depends_on_threshold"]) and not bool(row["stable"])
    assert not row["chosen_threshold_minus_5_min"] and not row["chosen_threshold_plus_5_min"]
    assert any("depends on the threshold" in w for w in result.warnings)
