"""Sizing: from the population a hub serves to GP time, clinical rooms and floor area.

The chain, every step a setting of :class:`SizingAssumptions`::

    GP FTE          = population / patients per GP FTE
    GP sessions     = GP FTE x sessions per FTE a week
    clinical sessions = GP sessions x (1 + other clinicians' sessions per GP session)
    clinical rooms  = ceil(clinical sessions / (sessions a room offers a week x utilisation))
      of which treatment rooms = ceil(rooms x treatment share), the rest consult/exam
    interview rooms = ceil(clinical rooms x interview share); group rooms per hub
    net area        = sum(rooms x room area)
    departmental    = net area x (1 + support share)      reception, waiting, staff, WCs
    GIA             = departmental x (1 + circulation and plant)

Then a building "fits" or is "short by N m²", and the estate option follows:
refurbish (fits), extend (short by no more than the extension a site allows), new
build (a kind of site that may be redeveloped), otherwise "too small". A floor area
that is not known gives "not known", never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

__all__ = [
    "SizingAssumptions",
    "estate_option",
    "fit",
    "required_gia_m2",
    "room_schedule",
    "room_steps",
]


@dataclass(frozen=True)
class SizingAssumptions:
    """The sizing settings; defaults illustrative (see ``estate_planner.appraisal.ASSUMPTIONS``
    for each one's unit, source and date)."""

    patients_per_gp_fte: float = 2258.0
    gp_sessions_per_fte_week: float = 9.0
    other_sessions_per_gp_session: float = 1.0
    sessions_per_room_week: float = 10.0
    utilisation: float = 0.6
    treatment_share: float = 0.2
    interview_share: float = 0.15
    group_rooms: int = 1
    consult_room_m2: float = 14.0
    treatment_room_m2: float = 15.0
    interview_room_m2: float = 9.5
    group_room_m2: float = 19.0
    support_share: float = 0.6
    circulation_share: float = 0.29
    max_extension_share: float = 0.3
    new_build_kinds: tuple[str, ...] = ("nhs", "council")

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> SizingAssumptions:
        """The assumptions named in ``values`` (other keys ignored).

        Parameters
        ----------
        values : mapping
            Setting -> value, e.g. the scenario's ``[appraisal]`` section dumped.

        Returns
        -------
        SizingAssumptions
        """
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in values.items() if k in names}
        if "new_build_kinds" in kept:
            kept["new_build_kinds"] = tuple(kept["new_build_kinds"])  # type: ignore[arg-type]
        return cls(**kept)  # type: ignore[arg-type]


def _rooms(population: np.ndarray, a: SizingAssumptions) -> dict[str, np.ndarray]:
    """Room counts and areas for each population (the arithmetic of the module doc)."""
    people = np.maximum(0.0, np.asarray(population, dtype=float))
    gp_fte = people / a.patients_per_gp_fte
    sessions = gp_fte * a.gp_sessions_per_fte_week * (1.0 + a.other_sessions_per_gp_session)
    # a whisker of rounding must not add a room: 12.000000001 rooms is 12
    clinical = np.ceil(np.round(sessions / _sessions_a_room(a), 9))
    treatment = np.ceil(np.round(clinical * a.treatment_share, 9))
    interview = np.ceil(np.round(clinical * a.interview_share, 9))
    group = np.where(clinical > 0, float(a.group_rooms), 0.0)
    consult = clinical - treatment
    net = (
        consult * a.consult_room_m2
        + treatment * a.treatment_room_m2
        + interview * a.interview_room_m2
        + group * a.group_room_m2
    )
    support = net * a.support_share
    circulation = (net + support) * a.circulation_share
    return {
        "gp_fte": gp_fte,
        "sessions": sessions,
        "consult": consult,
        "treatment": treatment,
        "interview": interview,
        "group": group,
        "net": net,
        "support": support,
        "circulation": circulation,
        "gia": net + support + circulation,
    }


def _sessions_a_room(a: SizingAssumptions) -> float:
    return a.sessions_per_room_week * a.utilisation


def room_steps(
    population: float, assumptions: SizingAssumptions, *, low: float, high: float
) -> np.ndarray:
    """Where a hub serving ``population`` gains a clinical room, as changes of population.

    Every room count and so the floor area (:func:`required_gia_m2`) is a function of
    the number of clinical rooms, ``ceil(population x k)`` with ``k`` the clinical
    sessions per person over the sessions a room offers: it steps where
    ``population x (1 + g) x k`` is a whole number and is constant in between.

    Parameters
    ----------
    population : float
        People served.
    assumptions : SizingAssumptions
    low, high : float
        The changes considered (``-0.9``: 90% fewer people; ``5.0``: six times as many).

    Returns
    -------
    numpy.ndarray
        The changes ``g`` with ``low < g < high`` at which the room count steps, in
        order (none when nobody is served).
    """
    a = assumptions
    per_person = (
        a.gp_sessions_per_fte_week
        * (1.0 + a.other_sessions_per_gp_session)
        / (a.patients_per_gp_fte * _sessions_a_room(a))
    )
    rooms = population * per_person
    if not (np.isfinite(rooms) and rooms > 0):
        return np.zeros(0)
    whole = np.arange(math.floor(rooms * (1.0 + low)), math.ceil(rooms * (1.0 + high)) + 1)
    steps = whole / rooms - 1.0
    return steps[(steps > low) & (steps < high)]


def room_schedule(population: float, assumptions: SizingAssumptions) -> pd.DataFrame:
    """The rooms and floor area a hub serving ``population`` needs, line by line.

    Parameters
    ----------
    population : float
        People served (registered patients).
    assumptions : SizingAssumptions

    Returns
    -------
    pandas.DataFrame
        Rows ``consult/exam room``, ``treatment room``, ``interview room``,
        ``group room`` (``count``, ``m2_each``, ``m2``), then ``net clinical area``,
        ``support (reception, waiting, staff)``, ``circulation and plant`` and
        ``gross internal area`` (``m2`` only). ``attrs`` holds ``gp_fte`` and
        ``clinical_sessions_week``.
    """
    a = assumptions
    r = {k: float(v[0]) for k, v in _rooms(np.array([population]), a).items()}
    rooms = pd.DataFrame(
        {
            "item": ["consult/exam room", "treatment room", "interview room", "group room"],
            "count": [int(r["consult"]), int(r["treatment"]), int(r["interview"]), int(r["group"])],
            "m2_each": [
                a.consult_room_m2,
                a.treatment_room_m2,
                a.interview_room_m2,
                a.group_room_m2,
            ],
        }
    )
    rooms["m2"] = rooms["count"] * rooms["m2_each"]
    totals = pd.DataFrame(
        {
            "item": [
                "net clinical area",
                "support (reception, waiting, staff)",
                "circulation and plant",
                "gross internal area",
            ],
            "m2": [r["net"], r["support"], r["circulation"], r["gia"]],
        }
    )
    table = pd.concat([rooms, totals], ignore_index=True)
    table.attrs.update(gp_fte=r["gp_fte"], clinical_sessions_week=r["sessions"])
    return table


def required_gia_m2(
    populations: np.ndarray | list[float], assumptions: SizingAssumptions
) -> np.ndarray:
    """Gross internal area (m²) needed for each population, as :func:`room_schedule`.

    Parameters
    ----------
    populations : array of float
    assumptions : SizingAssumptions

    Returns
    -------
    numpy.ndarray
    """
    return _rooms(np.asarray(populations, dtype=float), assumptions)["gia"]


def fit(required_m2: float, floor_area_m2: float) -> str:
    """``"fits"``, ``"short by N m²"`` or ``"floor area not known"``.

    Parameters
    ----------
    required_m2 : float
    floor_area_m2 : float
        NaN when not known.

    Returns
    -------
    str
    """
    if floor_area_m2 is None or not np.isfinite(floor_area_m2):
        return "floor area not known"
    short = required_m2 - floor_area_m2
    if short <= 0:
        return "fits"
    return f"short by {math.ceil(short):,} m²"


def estate_option(
    required_m2: float, floor_area_m2: float, kind: str, assumptions: SizingAssumptions
) -> str:
    """The estate option for a building: refurbish, extend, new build or too small.

    Parameters
    ----------
    required_m2 : float
        The gross internal area needed.
    floor_area_m2 : float
        The building's floor area (NaN when not known).
    kind : str
        The candidate's kind (``nhs``, ``council``, ``retail`` ...).
    assumptions : SizingAssumptions
        ``max_extension_share`` (the most a building may be extended, as a share of
        its floor area) and ``new_build_kinds`` (kinds of site that may be rebuilt).

    Returns
    -------
    str
        ``refurbish``, ``extend``, ``new build``, ``too small`` or ``not known``
        (no floor area, and not a site that may be rebuilt).
    """
    known = floor_area_m2 is not None and np.isfinite(floor_area_m2)
    if known and required_m2 <= floor_area_m2:
        return "refurbish"
    if known and required_m2 <= floor_area_m2 * (1.0 + assumptions.max_extension_share):
        return "extend"
    if kind in assumptions.new_build_kinds:
        return "new build"
    return "too small" if known else "not known"
