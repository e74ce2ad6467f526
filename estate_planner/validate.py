"""Check a scenario and every input it names without running it.

Reports every problem in one pass (bad keys and bad files together) and, when there
are none, a short summary of what matched. Uses the same table of readers as a run
(:func:`estate_planner.stages.inputs.input_readers`), so the two agree on what a scenario
needs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from estate_planner._errors import EstatePlannerError
from estate_planner.scenario import Scenario, check_scenario, missing_inputs
from estate_planner.sources.tables import to_bng
from estate_planner.stages import assess, choose
from estate_planner.stages.inputs import Inputs, assemble_inputs, read_each


@dataclass
class Validation:
    """What :func:`validate_scenario` found."""

    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problems found."""
        return not self.problems


def validate_scenario(path: Path | str) -> Validation:
    """Every problem in the scenario at ``path`` and its inputs, or a summary.

    Parameters
    ----------
    path
        The scenario TOML file.

    Returns
    -------
    Validation
        ``problems`` (one line each, naming the key or file), ``summary`` (what
        matched, when there are no problems) and the reading ``warnings``.
    """
    scenario, problems = check_scenario(path)
    if scenario is None:
        return Validation(problems)
    missing = missing_inputs(scenario)
    problems += missing
    missing_keys = {line.split(":")[0] for line in missing}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found, records, file_problems = read_each(scenario, streets=True, stop=False)
        problems += [p for p in file_problems if p.split(":")[0] not in missing_keys]
        inputs = None
        if not problems:
            try:
                inputs = assemble_inputs(scenario, found, records)
                # the checks run makes before building a network: the same function
                choose.check_feasible(scenario, assess.apply_edits(scenario, inputs).candidates)
            except EstatePlannerError as exc:
                problems.append(str(exc))
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    said = list(dict.fromkeys(said))
    if inputs is None:
        return Validation(problems, warnings=said)
    return Validation(problems, summary(scenario, inputs, found.get("network.osm")), said)


def _inner_points(areas: Any) -> tuple[np.ndarray, np.ndarray]:
    points = areas.geometry.representative_point()
    return points.x.to_numpy(), points.y.to_numpy()


def summary(scenario: Scenario, inputs: Inputs, ways: Any) -> list[str]:
    """What a scenario's inputs matched, a line each, for a person to check.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    ways : OsmWays or None
        The streets read, for the network's extent.

    Returns
    -------
    list of str
    """
    areas, population = inputs.areas, inputs.population
    matched = population.reindex(areas["id"])
    shape = "points" if areas.geom_type.eq("Point").all() else "polygons"
    lines = [
        f"areas: {len(areas):,} ({shape}); population {matched['population'].sum():,.0f} "
        f"({matched['age_65_plus'].sum():,.0f} aged 65+), "
        f"{int(matched['population'].notna().sum()):,} of {len(areas):,} areas matched"
    ]
    if inputs.deprivation is not None:
        known = int(inputs.deprivation["imd_decile"].notna().sum())
        index = inputs.deprivation_index or "IMD"
        lines.append(f"deprivation ({index}): IMD decile for {known:,} of {len(areas):,} areas")
    if inputs.census is not None:
        shares = inputs.census.notna().sum()
        lines.append(
            "Census 2021 shares for "
            + ", ".join(f"{c} {int(n):,}" for c, n in shares.items() if str(c).endswith("_share"))
            + f" of {len(areas):,} areas"
        )
    if inputs.cells is not None:
        lines.append(f"population raster: {len(inputs.cells):,} populated cells in the areas")
    kinds = inputs.services["kind"].value_counts().sort_index()
    per_kind = ", ".join(f"{kind} {n:,}" for kind, n in kinds.items()) or "none"
    buffer = f"{scenario.area.buffer_m:,.0f} m"
    lines.append(f"services kept (in the study area plus {buffer}): {per_kind}")
    candidates = inputs.candidates
    known = candidates["available"].astype(float)
    available, unavailable = int((known == 1).sum()), int((known == 0).sum())
    lines.append(
        f"candidates kept: {len(candidates):,} ({available:,} available, {unavailable:,} not "
        f"available, {len(candidates) - available - unavailable:,} not known)"
    )
    if ways is not None and len(ways.lon):
        x, y = to_bng(ways.lon, ways.lat)
        west, south, east, north = x.min(), y.min(), x.max(), y.max()
        lines.append(
            f"network: {len(ways):,} highway ways, extent {(east - west) / 1000:,.1f} km x "
            f"{(north - south) / 1000:,.1f} km (BNG {west:,.0f}-{east:,.0f} E, "
            f"{south:,.0f}-{north:,.0f} N)"
        )
        # where people are (each area's inner point), against the streets' hull: an
        # island's areas reach out to sea beyond the last road, and that is no gap
        import shapely

        hull = shapely.MultiPoint(np.column_stack([x, y])).convex_hull.buffer(1000)
        inside = shapely.contains_xy(hull, *_inner_points(areas))
        if not inside.all():
            shown = ", ".join(map(str, areas.loc[~inside, "id"][:5]))
            lines.append(
                f"network: {int((~inside).sum())} of {len(areas)} demand areas lie more than "
                f"1 km beyond the street extract's streets ({shown}); use an extract that "
                "covers the whole study area"
            )
    return lines
