"""A scenario written back as TOML: every setting, paths absolute, so the file
stands alone and ``run`` and ``batch`` read back exactly the scenario written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import tomli_w

if TYPE_CHECKING:
    from estate_planner.scenario import Scenario

#: the order of the file's tables, as in the scenario reference
ORDER = (
    "name", "area", "network", "demand", "need", "services", "candidates", "access",
    "transit", "scoring", "selection", "edits",
)  # fmt: skip


def scenario_toml(scenario: Scenario, changes: list[str] | None = None) -> str:
    """The scenario as TOML text.

    Parameters
    ----------
    scenario : Scenario
    changes : list of str, optional
        Listed in a comment at the top (the explorer's changes since its start).

    Returns
    -------
    str
    """
    data: dict[str, Any] = scenario.model_dump(mode="json", exclude_none=True)
    data.pop("extends", None)
    ordered = {key: data[key] for key in ORDER if key in data}
    ordered |= {key: value for key, value in data.items() if key not in ordered}
    head = ["# Written by estate_planner.explore(): every setting, paths absolute."]
    if changes:
        head.append("# Changes made in the explorer, in order:")
        head += [f"#   {change}" for change in changes]
    return "\n".join(head) + "\n\n" + tomli_w.dumps(ordered)
