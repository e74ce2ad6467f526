"""What ``Explorer.set(**changes)`` means: keywords named as in the scenario file,
laid over the scenario's settings as a plain dict, then validated again.

- any setting of ``[selection]``, ``[access]``, ``[scoring]``, ``[transit]`` and the
  travel settings of ``[network]`` by its own name: ``hubs=4``, ``walk_minutes=15``,
  ``budget_gbp=2e6`` (``None`` removes an optional setting);
- one weight by its name: a need factor (``imd_decile_1_2=1.0``, ``[need] weights``)
  or a score criterion (``deprivation=0.4``, ``[scoring] weights``); or a whole
  table: ``need_weights={...}``, ``scoring_weights={...}``;
- which services count as existing provision, by kind: ``counts={"pharmacy": False}``
  (``[[services]] counts``);
- the what-if edits by their ``action``: ``close_service="D99001"``,
  ``open_service={...}``, ``force_candidate=[...]``, ``exclude_candidate=[...]``,
  ``add_development={"homes": 2000, "longitude": ..., "latitude": ...}``,
  ``scale_population={...}``; each adds one ``[[edits]]`` entry. ``edits=[...]``
  replaces the whole list and ``drop_edit=n`` removes its n-th entry (from 0);
- ``name``: the scenario's name.
"""

from __future__ import annotations

from typing import Any

from estate_planner._errors import ScenarioError, did_you_mean
from estate_planner._vocabulary import CRITERIA, NEED_FACTORS
from estate_planner.scenario import (
    AccessConfig,
    NetworkConfig,
    Scenario,
    ScoringConfig,
    SelectionConfig,
    TransitConfig,
    scenario_from_dict,
)

#: the [network] settings a what-if may change (not the files it reads)
NETWORK_SETTINGS = ("modes", "walk_kmh", "cycle_kmh", "drive_speeds_kmh", "max_snap_m")
#: edit actions, each a keyword of its own
EDIT_ACTIONS = (
    "close_service",
    "open_service",
    "add_development",
    "scale_population",
    "exclude_candidate",
    "force_candidate",
)
#: actions whose value may be an id or a list of ids
ID_ACTIONS = ("close_service", "exclude_candidate", "force_candidate")


def _settings() -> dict[str, str]:
    """Setting name -> its section, for the names only one section uses."""
    sections: dict[str, tuple[str, ...]] = {
        "selection": tuple(SelectionConfig.model_fields),
        "access": tuple(AccessConfig.model_fields),
        "scoring": tuple(f for f in ScoringConfig.model_fields if f != "weights"),
        "transit": tuple(TransitConfig.model_fields),
        "network": tuple(f for f in NetworkConfig.model_fields if f in NETWORK_SETTINGS),
    }
    out: dict[str, str] = {}
    for section, names in sections.items():
        for name in names:
            if name in out:  # pragma: no cover - the schema keeps these names apart
                raise RuntimeError(f"setting {name!r} is in [{out[name]}] and [{section}]")
            out[name] = section
    return out


SETTINGS = _settings()
# one meaning per keyword: a weight's name is never a setting's
if set(NEED_FACTORS) & set(CRITERIA) or (set(NEED_FACTORS) | set(CRITERIA)) & set(SETTINGS):
    raise RuntimeError("a weight shares its name with a setting")  # pragma: no cover
KEYWORDS = (
    *SETTINGS,
    *NEED_FACTORS,
    *CRITERIA,
    "need_weights",
    "scoring_weights",
    "counts",
    *EDIT_ACTIONS,
    "edits",
    "drop_edit",
    "name",
)


def apply_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """``scenario`` with ``changes`` applied (see the module docstring), validated.

    Parameters
    ----------
    scenario : Scenario
    changes : dict
        Keyword -> value, as given to ``Explorer.set``.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Naming an unknown keyword (with the nearest known one), a kind of service the
        scenario does not have, or a value the scenario model rejects.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    data.pop("extends", None)  # every path is already absolute: the state stands alone
    for keyword, value in changes.items():
        _apply(data, keyword, value)
    return scenario_from_dict(data, source=f"explorer.set({describe(changes)})")


def _apply(data: dict[str, Any], keyword: str, value: Any) -> None:
    if keyword in SETTINGS:
        table = data.setdefault(SETTINGS[keyword], {})
        if value is None:
            table.pop(keyword, None)
        else:
            table[keyword] = value
    elif keyword in NEED_FACTORS or keyword in CRITERIA:
        section = "need" if keyword in NEED_FACTORS else "scoring"
        weights = data.setdefault(section, {}).setdefault("weights", {})
        weights[keyword] = value
    elif keyword in ("need_weights", "scoring_weights"):
        data.setdefault(keyword.removesuffix("_weights"), {})["weights"] = dict(value)
    elif keyword == "counts":
        _set_counts(data, value)
    elif keyword in EDIT_ACTIONS:
        data.setdefault("edits", []).append(_edit(keyword, value))
    elif keyword == "edits":
        data["edits"] = [dict(edit) for edit in value]
    elif keyword == "drop_edit":
        edits = data.get("edits", [])
        if not isinstance(value, int) or not -len(edits) <= value < len(edits):
            raise ScenarioError(
                f"drop_edit={value!r}: the scenario has {len(edits)} edits; give the "
                "position of one (from 0) as listed in explorer.scenario.edits"
            )
        del edits[value]
    elif keyword == "name":
        data["name"] = value
    else:
        raise ScenarioError(
            f"explorer.set: unknown keyword {keyword!r}{did_you_mean(keyword, KEYWORDS)}; "
            "use a scenario setting's name (hubs, walk_minutes, budget_gbp, ...), a weight's "
            "name, counts, an edit action or edits"
        )


def _set_counts(data: dict[str, Any], value: dict[str, bool]) -> None:
    services = data.get("services", [])
    kinds = [service["kind"] for service in services]
    for kind, counts in value.items():
        if kind not in kinds:
            raise ScenarioError(
                f"counts: the scenario has no services of kind {kind!r}"
                f"{did_you_mean(kind, kinds)} (its kinds: {', '.join(dict.fromkeys(kinds))})"
            )
        for service in services:
            if service["kind"] == kind:
                service["counts"] = bool(counts)


def _edit(action: str, value: Any) -> dict[str, Any]:
    if action in ID_ACTIONS and isinstance(value, str | list | tuple):
        ids = [value] if isinstance(value, str) else list(value)
        return {"action": action, "ids": [str(i) for i in ids]}
    if not isinstance(value, dict):
        raise ScenarioError(
            f"{action}: expected a table of the edit's keys (as in [[edits]]), found {value!r}"
        )
    return {"action": action, **value}


def describe(changes: dict[str, Any]) -> str:
    """The changes as they were typed: ``hubs=4, walk_minutes=15``.

    Parameters
    ----------
    changes : dict

    Returns
    -------
    str
    """
    return ", ".join(f"{k}={v!r}" for k, v in changes.items())
