"""``manifest.json``: what went in, what was dropped, how long each stage took."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # outputs depend on a run's results, never on the pipeline
    from estate_planner.results import RunResult


def build_manifest(result: RunResult) -> dict[str, Any]:
    """Everything needed to audit or reproduce a run.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict
        Version, scenario name and hash, each input's path, hash, rows read and used
        and rows dropped by reason, networks, counts, the selection, the decision checks,
        cache use, timings and warnings.
    """
    from estate_planner import __version__

    selection = result.selection
    networks = {
        mode: {
            "street_nodes": net.street_nodes,
            "street_edges": net.street_edges,
            "points_far_from_network": {
                "demand": int(net.demand.far.sum()),
                "services": int(net.services.far.sum()),
                "candidates": int(net.candidates.far.sum()),
            },
            "max_snap_distance_m": round(
                float(
                    max(
                        net.demand.distance_m.max(initial=0),
                        net.candidates.distance_m.max(initial=0),
                    )
                ),
                1,
            ),
        }
        for mode, net in result.networks.items()
    }
    return {
        "package": "estate-planner",
        "version": __version__,
        "scenario": {"name": result.scenario.name, "hash": result.scenario.digest()},
        "inputs": [asdict(record) for record in result.inputs.provenance],
        "networks": networks,
        "counts": {
            "demand_points": len(result.demand),
            "services": len(result.services),
            "candidates": len(result.candidates),
            "eligible_candidates": int((result.candidates["excluded_reason"] == "").sum()),
        },
        "selection": {
            "objective": selection.objective,
            "mode": result.scenario.selection_mode,
            "method": selection.method,
            "value": selection.value,
            "gap": None if math.isnan(selection.gap) else selection.gap,
            "chosen": [str(result.candidates["site_id"].iloc[i]) for i in selection.chosen],
            "marginal_gains": selection.gains,
            "curve": selection.curve,
        },
        "decision": _decision(result),
        "timings_s": result.timings,
        "cache": result.cache_status,
        "warnings": result.warnings,
        **_registered(result),
    }


def _registered(result: RunResult) -> dict[str, Any]:
    from estate_planner.outputs.registered import registered_manifest

    found = registered_manifest(result)
    return {} if found is None else {"registered_patients": found}


def _decision(result: RunResult) -> dict[str, Any]:
    found = result.decision
    if found is None:
        return {}
    return {
        "empty_hubs": found.empty_hubs,
        "hubs_not_chosen_for_adding_nothing": found.fewer,
        "hub_effects": [vars(effect) for effect in found.effects],
        "not_chosen": found.not_chosen,
        "certainty": {
            "hubs": found.hubs.to_dict("records"),
            "runs": found.runs.to_dict("records"),
            "holds": found.certainty.holds.to_dict("records"),
            "headline": found.certainty.headline.to_dict("records"),
        },
        "reach_by_mode": found.by_mode.to_dict("records"),
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write JSON with sorted keys, so the same run gives the same bytes.

    Parameters
    ----------
    data : dict
    path : pathlib.Path
    """
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, default=_plain) + "\n", encoding="utf-8"
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
