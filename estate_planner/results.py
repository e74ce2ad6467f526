"""The plain results of a run, for :mod:`estate_planner.outputs` and notebooks.

This module imports nothing heavy and nothing of the pipeline's, so writers of
outputs depend on a run's results, never on the stages that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd

    from estate_planner.access import ModeTimes
    from estate_planner.decision import Decision
    from estate_planner.optimise import Selection
    from estate_planner.scenario import Mode, Scenario
    from estate_planner.stages.inputs import Inputs
    from estate_planner.travel import RoutingGraph, Snapped


@dataclass
class ModeNetwork:
    """One mode's routing graph with every point snapped onto it."""

    mode: Mode
    graph: RoutingGraph
    street_nodes: int
    street_edges: int
    demand: Snapped
    services: Snapped
    candidates: Snapped
    ways_read: int = 0  # highway ways in the OSM file
    way_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # ways used


@dataclass
class Registered:
    """Registered patients by where they live (NHS Digital's LSOA breakdown) against the
    model.

    ``agreement``: per modelled practice, its registered patients (all, outside the
    study area, inside it) and of them those living in an LSOA the model gives to it,
    with the share; ``overall``: the same summed over practices; ``moves``: per closed
    practice and LSOA, where its registered patients go (a site id, outside the study
    area, or not served) and how many; ``closed``: the closed practices the file has;
    ``dropped``: the file's rows left out, by reason.
    """

    agreement: Any
    overall: dict[str, Any]
    moves: Any
    closed: list[str]
    extract_date: str
    source: str
    notes: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0


@dataclass
class Appraisal:
    """The indicative economic case (all figures indicative, for shortlisting).

    ``hubs``: per chosen hub, people served (by age band and IMD decile), required
    gross internal area, fit, estate option and costs; ``options``: business as usual,
    do-minimum, the chosen set and alternatives side by side; ``switching``: how far
    capital, rent or population must move before the preferred option changes;
    ``ledger``: each option's costs by year; ``assumptions``: every setting with its
    value, unit, source and date; ``served_by``: per demand point, the service or hub
    serving most of its people; ``candidates``: every other candidate's population if
    added and its fit.
    """

    hubs: Any
    options: Any
    switching: Any
    ledger: Any
    assumptions: Any
    served_by: np.ndarray
    candidates: Any
    preferred: str
    notes: list[str] = field(default_factory=list)
    registrations_matched: int = 0
    #: the LSOA breakdown against the model (None without ``registrations_lsoa``)
    registered: Registered | None = None


@dataclass
class RunResult:
    """All a run produced. Frames are in BNG (EPSG:27700).

    ``demand`` has one row per demand point with its need, access per mode and time
    to the nearest hub; ``candidates`` one row per candidate with its scores, the
    reasons it was excluded and whether it was selected; ``catchments`` one polygon
    per chosen hub and mode.
    """

    scenario: Scenario
    inputs: Inputs
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    selection: Selection
    networks: dict[str, ModeNetwork]
    times: dict[str, ModeTimes]
    catchments: gpd.GeoDataFrame
    decision: Decision
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: where each stage's result came from (built, or reused from the cache)
    cache_status: dict[str, Any] = field(default_factory=dict)
    #: the indicative economic case (None when ``[appraisal] enabled = false``)
    appraisal: Appraisal | None = None

    def map(self) -> Any:
        """The run's folium map (shows inline in a notebook)."""
        from estate_planner.outputs.maps import build_map

        return build_map(self)

    @property
    def selected(self) -> gpd.GeoDataFrame:
        """The chosen sites, in order of marginal gain."""
        chosen = self.candidates[self.candidates["selected"]]
        return chosen.sort_values("selection_order")
