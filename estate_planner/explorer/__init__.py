"""What-ifs at the speed of a conversation: :func:`explore` a scenario, change it a
keyword at a time with :meth:`Explorer.set`, and read the new decision.

>>> import estate_planner as ep  # doctest: +SKIP
>>> explorer = ep.explore("data/demo/scenario.toml")  # doctest: +SKIP
>>> explorer.set(close_service="D99001").chosen  # doctest: +SKIP
>>> explorer.set(imd_decile_1_2=1.5)  # doctest: +SKIP
>>> explorer.undo()  # doctest: +SKIP
>>> explorer.to_scenario("what_if.toml")  # doctest: +SKIP
>>> explorer.widget  # doctest: +SKIP
"""

from __future__ import annotations

from estate_planner.explorer.changes import KEYWORDS, apply_changes
from estate_planner.explorer.session import Explorer, Step, explore
from estate_planner.explorer.summary import Certainty, DecileReach, Summary, summarise

__all__ = [
    "KEYWORDS",
    "Certainty",
    "DecileReach",
    "Explorer",
    "Step",
    "Summary",
    "apply_changes",
    "explore",
    "summarise",
]
