"""``report.html``: a self-contained report for boards (charts inlined as SVG)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from estate_planner.access import HORIZON_FACTOR, NO_CAR_MODES, reach_by_car
from estate_planner.need import most_deprived
from estate_planner.network import UK_DRIVE_SPEEDS_KMH
from estate_planner.outputs import certainty
from estate_planner.outputs.caveats import _availability_of, _text, availability_flags, input_dates
from estate_planner.outputs.charts import grouped_bars, line_chart, ranges, stacked_bars
from estate_planner.outputs.economics import economic_context
from estate_planner.outputs.registered import registered_context
from estate_planner.outputs.summary import credits, imd_label, reach
from estate_planner.outputs.tables import ranking_table
from estate_planner.scenario import CRITERIA

if TYPE_CHECKING:  # outputs depend on a run's results, never on the pipeline
    from estate_planner.results import RunResult

LICENCES = {
    "area.boundary": "ONS, Open Government Licence v3.0; contains OS data © Crown copyright",
    "network.osm": "© OpenStreetMap contributors, Open Database Licence (ODbL) 1.0",
    "network.gtfs": "the timetable's publisher (Bus Open Data Service and operators: "
    "Open Government Licence v3.0)",
    "candidates.from_osm": "© OpenStreetMap contributors, Open Database Licence (ODbL) 1.0",
    "candidates.town_centres": "as its publisher states (MHCLG town centre boundaries: OGL v3.0)",
    "demand.areas": "ONS, Open Government Licence v3.0; contains OS data © Crown copyright",
    "demand.population": "ONS Census 2021 / mid-year estimates, Open Government Licence v3.0",
    "demand.deprivation": "MHCLG English Indices of Deprivation, Open Government Licence v3.0",
    "demand.health": "ONS Census 2021 TS037, Open Government Licence v3.0",
    "demand.disability": "ONS Census 2021 TS038, Open Government Licence v3.0",
    "demand.cars": "ONS Census 2021 TS045, Open Government Licence v3.0",
    "demand.lookup": "ONS, Open Government Licence v3.0",
    "demand.raster": "WorldPop (www.worldpop.org), CC BY 4.0 (or as the file's publisher states)",
    "services": "NHS Digital ODS / NHS.UK, Open Government Licence v3.0",
    "candidates.path": "your organisation's property data",
    "candidates.corrections": "your organisation's corrections to the candidates",
}


#: licences of the property registers, by the family the reader recognised
REGISTER_LICENCES = {
    "eric": "NHS Digital (NHS England) ERIC, Open Government Licence v3.0",
    "business_rates": "the council's business-rates list, Open Government Licence v3.0; "
    "rateable values: Valuation Office Agency",
    "council_assets": "the council's land and assets (Transparency Code 2015), "
    "Open Government Licence v3.0",
    "table": "your organisation's property data",
}


def licence(key: str, layout: str = "") -> str:
    """The licence to credit for an input.

    Parameters
    ----------
    key : str
        The input's scenario key.
    layout : str
        For a register, the family it was read as.

    Returns
    -------
    str
    """
    if key.startswith("candidates.registers["):
        return REGISTER_LICENCES.get(layout or "table", "")
    if key == "demand.deprivation" and layout.startswith("IoD 20"):
        year = layout[4:8]
        return f"MHCLG English Indices of Deprivation {year}, Open Government Licence v3.0"
    return LICENCES.get(key.split("[")[0], LICENCES.get(key, ""))


def charts(result: RunResult) -> list[dict[str, str]]:
    """The report's charts as inline SVG.

    Coverage curve, travel time by decile, rank stability and the score breakdown of
    the top 10.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    list of dict
        ``title`` and ``svg`` per chart.
    """
    out = []
    curve = result.selection.curve
    if curve:
        title = "Coverage curve: the best result for 1 to k hubs"
        y_label = (
            "unmet need reached"
            if result.selection.objective == "coverage"
            else "need-weighted seconds"
        )
        svg = line_chart(curve, x_label="number of hubs", y_label=y_label, title=title)
        out.append({"title": title, "svg": svg})
    by_decile = travel_time_by_decile(result)
    if len(by_decile):
        title = (
            f"Travel time to the nearest service by {imd_label(result)} decile, before and "
            "after the hubs "
            "(population-weighted; beyond the search limit counts as the limit)"
        )
        series = {
            column.replace("_", " "): by_decile[column].tolist()
            for column in by_decile.columns
            if column != "imd_decile"
        }
        svg = grouped_bars(
            [str(int(d)) for d in by_decile["imd_decile"]],
            series,
            x_label=f"{imd_label(result)} decile (1 = most deprived)",
            y_label="mean minutes",
            title=title,
        )
        out.append({"title": title, "svg": svg})
    ranking = ranking_table(result)
    stability = ranking[ranking["rank_min"].notna()].head(15)
    if len(stability):
        config = result.scenario.scoring
        title = (
            f"Rank stability: weights perturbed by up to ±{config.sensitivity_spread:.0%} in "
            f"{config.sensitivity_runs} seeded runs"
        )
        svg = ranges(
            stability["site_id"].astype(str).tolist(),
            stability["rank_min"].astype(float).tolist(),
            stability["rank_max"].astype(float).tolist(),
            stability["rank"].astype(float).tolist(),
            x_label="rank (dot: with the scenario's weights; bar: range over the runs)",
            title=title,
            mark=result.scenario.selection.hubs + 0.5,
        )
        out.append({"title": title, "svg": svg})
    top = ranking.head(10)
    if len(top):
        parts = {
            criterion.replace("_", " "): top[f"contribution_{criterion}"].astype(float).tolist()
            for criterion in CRITERIA
            if top[f"contribution_{criterion}"].astype(float).sum() > 0
        }
        title = (
            "Score breakdown of the top 10 candidates: each criterion's points of the 0–1 score "
            "(not a share of need)"
        )
        svg = stacked_bars(top["site_id"].astype(str).tolist(), parts, x_label="score", title=title)
        out.append({"title": title, "svg": svg})
    return out


def travel_time_by_decile(result: RunResult) -> pd.DataFrame:
    """Population-weighted mean minutes to the nearest service, before and after, by decile.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    pandas.DataFrame
        ``imd_decile`` and, per mode, ``before_<mode>`` and ``after_<mode>``.
    """
    demand = result.demand.dropna(subset=["imd_decile"])
    rows = {"imd_decile": sorted(demand["imd_decile"].unique())}
    weights = demand["population"].to_numpy()
    for mode, times in result.times.items():
        limit = times.threshold_s * HORIZON_FACTOR / 60
        for when, column in (
            ("before", f"minutes_to_service_{mode}"),
            ("after", f"minutes_to_hub_{mode}"),
        ):
            minutes = demand[column].fillna(limit).to_numpy()
            frame = pd.DataFrame(
                {"d": demand["imd_decile"].to_numpy(), "m": minutes * weights, "w": weights}
            )
            sums = frame.groupby("d").sum()
            rows[f"{mode}_{when}"] = (sums["m"] / sums["w"]).reindex(rows["imd_decile"]).tolist()
    return pd.DataFrame(rows) if len(rows["imd_decile"]) else pd.DataFrame()


def headline(result: RunResult) -> dict[str, Any]:
    """The board's first page, in numbers.

    Who is beyond reach of every existing service now (people, share, the most deprived,
    the older), whom the hubs bring within reach, what each hub adds, how sure that is,
    and which services count as existing.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict
    """
    scenario = result.scenario
    mode = scenario.selection_mode
    demand = result.demand
    people, before, after, minutes = reach(result)
    deprived = most_deprived(demand["imd_decile"])
    older = demand["age_65_plus"].to_numpy(dtype=float)
    beyond, brought = ~before, ~before & after
    total = float(people.sum())
    unmet = float(people[beyond].sum())
    decision = result.decision
    services = result.services
    counted = services["counts"].fillna(True).astype(bool) if "counts" in services else None
    kinds_counted = sorted(
        set(services["kind"][counted] if counted is not None else services["kind"])
    )
    kinds_not = sorted(set(services["kind"][~counted])) if counted is not None else []
    return {
        "mode": mode,
        "minutes": f"{minutes:g}",
        "access_only": scenario.selection.hubs == 0,
        "candidates": len(result.candidates),
        "population": total,
        "beyond": unmet,
        "beyond_share": unmet / total if total else 0.0,
        "beyond_deprived": float(people[beyond & deprived].sum()),
        "beyond_older": float(older[beyond].sum()),
        "brought": float(people[brought].sum()),
        "brought_share_of_beyond": float(people[brought].sum()) / unmet if unmet else 0.0,
        "brought_deprived": float(people[brought & deprived].sum()),
        "still_beyond": float(people[beyond & ~after].sum()),
        "hubs": [
            vars(e)
            for e in (decision.effects if decision is not None else [])
        ],
        "runs": 0,  # no vote counts: the certainty table says what holds under which change
        "fewer": decision.fewer if decision is not None else 0,
        "asked": scenario.selection.hubs,
        "counted": kinds_counted,
        "not_counted": kinds_not,
        "placement": "population raster cells"
        if scenario.demand.raster
        else "one point per small area",
    }


def _gain_unit(result: RunResult) -> str:
    """The unit of the marginal gain column."""
    if result.selection.objective == "median" and result.selection.capacity is None:
        return "need-weighted seconds"
    return "need-weighted units"


def _gain_note(result: RunResult) -> str:
    if result.selection.capacity is not None:
        return (
            "the need each hub serves, up to its capacity, in need-weighted units (people "
            "weighted by the need weights; not a head count)"
        )
    if result.selection.objective == "coverage":
        return (
            "unmet need newly reached by each hub, given those before it, in need-weighted "
            "units (people weighted by the need weights; not a head count: the people it "
            "brings within reach are in the summary above)"
        )
    return "need-weighted seconds saved by each hub, given those before it"


def _money(value: float) -> str:
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:,.0f}"
    )


def context(result: RunResult) -> dict[str, Any]:
    """Everything the report template shows.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict
    """
    from estate_planner import __version__

    scenario = result.scenario
    mode = scenario.selection_mode
    selected = result.selected
    hubs = [
        {
            "order": int(r.selection_order),
            "site_id": r.site_id,
            "name": r.name,
            "kind": r.kind,
            "rank": "–" if r.rank is None or r.rank != r.rank else int(r.rank),
            "score": f"{r.score:.3f}",
            "gain": f"{r.marginal_gain:,.0f}",
            "cost": _money(r.annual_cost_gbp),
            "area": _money(r.floor_area_m2),
            "area_source": _text(getattr(r, "floor_area_source", "")) or "not known",
            "availability": _availability_of(r),
            "availability_source": _text(getattr(r, "availability_source", "")),
        }
        for r in selected.itertuples()
    ]
    ranking = [
        {
            "rank": "" if r["rank"] is None or r["rank"] != r["rank"] else int(r["rank"]),
            "site_id": r["site_id"],
            "name": r["name"],
            "kind": r["kind"],
            "score": f"{r['score']:.3f}",
            "parts": [f"{r[f'contribution_{c}']:.3f}" for c in CRITERIA],
            "excluded": r["excluded_reason"],
            "p_top": "" if pd.isna(r["p_top_k"]) else f"{r['p_top_k']:.0%}",
            "unstable": bool(not pd.isna(r["stable"]) and not r["stable"]),
            "low_reach": bool(r.get("low_reach", False)),
            "selected": bool(r["selected"]),
        }
        for r in ranking_table(result).to_dict("records")
    ]
    need = result.demand["need"].to_numpy()
    access_rows = []
    for m in result.times:
        _, before, after, minutes = reach(result, m)
        access_rows.append(
            {
                "mode": m,
                "minutes": f"{minutes:g}",
                "before": f"{need[before].sum() / need.sum():.1%}",
                "after": f"{need[after].sum() / need.sum():.1%}",
            }
        )
    sources = [
        {
            "key": p.key,
            "file": Path(p.path).name
            + (f" ({p.layout})" if p.layout and p.key.startswith("demand.") else ""),
            "read": p.rows_read,
            "used": p.rows_used,
            "licence": licence(p.key, p.layout),
        }
        for p in result.inputs.provenance
    ]
    gap = result.selection.gap
    decision = result.decision
    dates = input_dates(result)
    floor_unknown = result.candidates.get("excluded_reason")
    set_aside = (
        int(floor_unknown.fillna("").str.contains("floor area not known").sum())
        if floor_unknown is not None
        else 0
    )
    return {
        "name": scenario.name,
        "board": headline(result),
        "availability_flags": availability_flags(result),
        "dates": dates,
        "stale": [d for d in dates if d["stale"]],
        "undated": [d for d in dates if d["undated"]],
        "stale_after": f"{scenario.report.stale_after_years:g}",
        "floor_unknown_set_aside": set_aside,
        "floor_unknown_passes": scenario.scoring.unknown_floor_area_passes,
        "min_floor_area": scenario.scoring.min_floor_area_m2,
        "gain_unit": _gain_unit(result),
        "not_chosen": decision.not_chosen if decision is not None else [],
        "conclusions": certainty.conclusions(result),
        **certainty.context(result),
        "hubs": hubs,
        "economic": economic_context(result),
        "registered": registered_context(result),
        "objective": result.selection.objective,
        "mode": mode,
        "threshold": f"{scenario.access.minutes(mode):g}",
        "method": result.selection.method,
        "gap": None if math.isnan(gap) else gap,
        "charts": charts(result),
        "ranking": ranking,
        "criteria": [c.replace("_", " ") for c in CRITERIA],
        "access": access_rows,
        "gain_note": _gain_note(result),
        "p_top_runs": scenario.scoring.sensitivity_runs,
        "p_top_spread": f"{scenario.scoring.sensitivity_spread:.0%}",
        "walk_kmh": scenario.network.walk_kmh,
        "cycle_kmh": scenario.network.cycle_kmh,
        "drive_speeds": ", ".join(
            f"{k} {v:g}"
            for k, v in {**UK_DRIVE_SPEEDS_KMH, **scenario.network.drive_speeds_kmh}.items()
        ),
        "transit": _transit_text(scenario),
        "thresholds": ", ".join(
            f"{m} {scenario.access.minutes(m):g} min" for m in scenario.network.modes
        ),
        "need_weights": _weights_text(scenario.need.weights, imd_label(result)),
        "imd": imd_label(result),
        "car_reach": car_reach(result),
        "future": target_year(result),
        "future_settings": (
            f"{scenario.demand.persons_per_dwelling:g} residents per new dwelling, "
            f"{scenario.demand.housing_share_65_plus:.0%} of them aged 65+"
        ),
        "score_weights": _weights_text(scenario.scoring.weights),
        "sources": sources,
        "credits": credits(result),
        "warnings": result.warnings,
        "version": __version__,
        "digest": scenario.digest(),
    }


_MODE_WORDS = {"walk": "walking", "transit": "public transport"}


def target_year(result: RunResult) -> dict[str, Any] | None:
    """The target year's figures beside today's (``demand.target_year``).

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict or None
        ``year``, ``base_year`` and ``rows`` (population, aged 65+, beyond reach of
        existing services, brought within reach by the hubs: today and in the year);
        None without a target year.
    """
    demand = result.demand
    year = result.scenario.demand.target_year
    if year is None or "population_base" not in demand:
        return None
    people, before, after, _ = reach(result)
    today = demand["population_base"].fillna(0).to_numpy(dtype=float)
    older = demand["age_65_plus"].to_numpy(dtype=float)
    older_today = demand["age_65_plus_base"].fillna(0).to_numpy(dtype=float)
    brought = ~before & after
    figures = [
        ("residents", today.sum(), people.sum()),
        ("aged 65+", older_today.sum(), older.sum()),
        ("beyond reach of existing services", today[~before].sum(), people[~before].sum()),
        ("brought within reach by the hubs", today[brought].sum(), people[brought].sum()),
    ]
    rows = [
        {"what": what, "today": f"{a:,.0f}", "then": f"{b:,.0f}",
         "change": f"{b - a:+,.0f}" + (f" ({(b - a) / a:+.1%})" if a else "")}
        for what, a, b in figures
    ]  # fmt: skip
    return {"year": year, "base_year": result.scenario.demand.base_year, "rows": rows}


def car_reach(result: RunResult) -> dict[str, Any] | None:
    """Reach for people with and without a car, before and after the hubs.

    Each area's share of households without a car or van (Census 2021 TS045) is
    applied to its residents; they count as reached only on foot or by public transport
    (:data:`~estate_planner.access.NO_CAR_MODES`), the rest by any mode of the scenario.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict or None
        ``rows`` (one per group: people, reached before and after, as counts and
        shares), ``modes_without_car`` and ``modes``; None without car data.
    """
    demand = result.demand
    if "no_car_share" not in demand or not demand["no_car_share"].notna().any():
        return None
    modes = [str(m) for m in result.scenario.network.modes]
    people = demand["population"].to_numpy(dtype=float)
    share = demand["no_car_share"].to_numpy(dtype=float)
    by_mode = {m: reach(result, m) for m in modes}  # the one definition of "reached"
    split = {
        "before": reach_by_car(people, share, {m: r[1] for m, r in by_mode.items()}),
        "after": reach_by_car(people, share, {m: r[2] for m, r in by_mode.items()}),
    }
    rows = []
    for group, label in (("without_car", "without a car or van"), ("with_car", "with a car"),
                         ("not_known", "car availability not known")):  # fmt: skip
        total = float(split["before"][group].sum())
        if group == "not_known" and total == 0:
            continue
        before = float(split["before"][f"reached_{group}"].sum())
        after = float(split["after"][f"reached_{group}"].sum())
        rows.append({
            "group": label,
            "people": f"{total:,.0f}",
            "before": f"{before:,.0f} ({before / total:.1%})" if total else "–",
            "after": f"{after:,.0f} ({after / total:.1%})" if total else "–",
        })  # fmt: skip
    return {
        "rows": rows,
        "modes": ", ".join(modes),
        "modes_without_car": " or ".join(_MODE_WORDS[m] for m in modes if m in NO_CAR_MODES)
        or "none of the scenario's modes (add walk or transit)",
    }


def _weights_text(weights: dict[str, float], imd: str = "IMD") -> str:
    """Weights as a person reads them: "population 1, aged 65+ 0.5"."""
    names = {
        "age_65_plus": "aged 65+",
        "imd_decile_1_2": f"{imd} deciles 1-2",
        "income_decile_1_2": f"{imd} income domain deciles 1-2",
        "health_decile_1_2": f"{imd} health deprivation and disability domain deciles 1-2",
        "barriers_decile_1_2": f"{imd} barriers to housing and services domain deciles 1-2",
        "bad_health": "residents in bad or very bad health (Census 2021 TS037)",
        "disabled_a_lot": "residents disabled, limited a lot (Census 2021 TS038)",
    }
    return ", ".join(f"{names.get(k, k.replace('_', ' '))} {v:g}" for k, v in weights.items())


def _transit_text(scenario: Any) -> str:
    """How public transport times were measured, in a sentence ("" without transit)."""
    if "transit" not in scenario.network.modes:
        return ""
    t = scenario.transit
    share = "the median" if t.percentile == 50 else f"the {t.percentile:g}th percentile"
    return (
        f"Public transport: the timetable of {t.date:%A %d %B %Y}, a departure every "
        f"{t.step_minutes:g} min from {t.start} to {t.end}, {share} of the door-to-door "
        f"times over those departures, up to {t.max_transfers} changes, "
        f"walks of up to {t.max_access_walk_minutes:g} min to and from stops and "
        f"{t.max_transfer_walk_minutes:g} min at a change, or walking all the way if quicker."
    )


def write_report(result: RunResult, path: Path) -> None:
    """Write ``report.html`` (all text escaped; no external resources).

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("estate_planner.outputs", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    page = env.get_template("report.html").render(**context(result))
    path.write_text(page, encoding="utf-8")
