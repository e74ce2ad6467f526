"""Sizing worked room by room."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estate_planner.appraisal.sizing import (
    SizingAssumptions,
    estate_option,
    fit,
    required_gia_m2,
    room_schedule,
    room_steps,
)


def test_room_by_room_for_12000_people() -> None:
    a = SizingAssumptions()
    table = room_schedule(12_000, a).set_index("item")
    # by hand: 12,000 / 2,258 = 5.3144 GP FTE; x 9 sessions = 47.830 GP sessions;
    # other clinicians as many again: 95.660 sessions; a room offers 10 x 0.6 = 6:
    # 15.94 -> 16 clinical rooms; 20% treatment -> ceil(3.2) = 4, so 12 consult/exam;
    # 15% interview -> ceil(2.4) = 3; one group room
    assert table.loc["consult/exam room", "count"] == 12
    assert table.loc["treatment room", "count"] == 4
    assert table.loc["interview room", "count"] == 3
    assert table.loc["group room", "count"] == 1
    net = 12 * 14.0 + 4 * 15.0 + 3 * 9.5 + 1 * 19.0  # 275.5 m2
    assert table.loc["net clinical area", "m2"] == pytest.approx(275.5) == net
    support = 275.5 * 0.6  # 165.3
    gia = (275.5 + support) * 1.29  # 568.632
    assert table.loc["gross internal area", "m2"] == pytest.approx(gia)
    assert table.attrs["gp_fte"] == pytest.approx(12_000 / 2258)
    assert required_gia_m2([12_000], a)[0] == pytest.approx(568.632)


def test_nobody_needs_no_rooms() -> None:
    table = room_schedule(0, SizingAssumptions()).set_index("item")
    assert table["count"].fillna(0).sum() == 0
    assert table.loc["gross internal area", "m2"] == 0


def test_an_exact_multiple_does_not_round_up() -> None:
    # 2,258 x 6 / (9 x 2) people need exactly 6 sessions a room's worth x 1: one room
    a = SizingAssumptions(treatment_share=0.0, interview_share=0.0, group_rooms=0)
    people = 2258 * 6 / 18
    assert room_schedule(people, a).set_index("item").loc["consult/exam room", "count"] == 1


def test_fit_and_option() -> None:
    a = SizingAssumptions()
    assert fit(500, 600) == "fits"
    assert fit(600.2, 500) == "short by 101 m²"
    assert fit(600, math.nan) == "floor area not known"
    assert estate_option(500, 600, "retail", a) == "refurbish"
    assert estate_option(640, 500, "retail", a) == "extend"  # 500 x 1.3 = 650
    assert estate_option(660, 500, "retail", a) == "too small"
    assert estate_option(660, 500, "nhs", a) == "new build"
    assert estate_option(660, np.nan, "office", a) == "not known"
    assert estate_option(660, np.nan, "council", a) == "new build"


def test_room_steps_are_where_the_floor_area_changes() -> None:
    # a dense scan of required_gia_m2: the area changes between two neighbouring points
    # exactly where a step lies between them, and nowhere else
    a = SizingAssumptions()
    steps = room_steps(7_000, a, low=-0.9, high=5.0)
    growth = np.linspace(-0.9, 5.0, 20_001)[1:-1]
    area = required_gia_m2(7_000 * (1 + growth), a)
    changed = np.flatnonzero(np.diff(area) != 0)
    between = np.searchsorted(growth, steps)  # the point just after each step
    assert list(changed) == list(between - 1)
    assert room_steps(0, a, low=-0.9, high=5.0).size == 0
