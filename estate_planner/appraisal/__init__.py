"""After the choice: who each hub serves, how big it must be, what it costs.

Pure functions of plain tables and settings, one module per step:

- :mod:`.assign`: each demand point to its service or hub (nearest, or capacity-limited
  least total travel time as a min-cost flow);
- :mod:`.sizing`: served population -> GP FTE -> clinical rooms -> gross internal area;
- :mod:`.ledger`: capital with optimism bias, yearly costs, Green Book discounting;
- :mod:`.options`: business as usual, do-minimum, the chosen set and alternatives side
  by side;
- :mod:`.switching`: how far capital £/m², rent or the population served must move
  before another option is preferred, solved exactly;
- :mod:`.assumptions`: every setting's unit, source and date;
- :mod:`.capital`: each candidate's capital before the choice (for the optimiser).

All figures are indicative, for shortlisting; they are not a business case.
"""

from estate_planner.appraisal.assign import Assignment, capacitated, nearest
from estate_planner.appraisal.assumptions import ASSUMPTIONS, Assumption, assumption_table
from estate_planner.appraisal.capital import capital_if_added, population_if_added
from estate_planner.appraisal.ledger import cash_flows, discount_factors, net_present_cost, npc
from estate_planner.appraisal.options import (
    BUSINESS_AS_USUAL,
    CostAssumptions,
    appraise,
    do_minimum,
    hub_capital,
    hub_costs,
    preferred,
)
from estate_planner.appraisal.sizing import (
    SizingAssumptions,
    estate_option,
    fit,
    required_gia_m2,
    room_schedule,
    room_steps,
)
from estate_planner.appraisal.switching import switching_value, switching_values

__all__ = [
    "ASSUMPTIONS",
    "BUSINESS_AS_USUAL",
    "Assignment",
    "Assumption",
    "CostAssumptions",
    "SizingAssumptions",
    "appraise",
    "assumption_table",
    "capacitated",
    "capital_if_added",
    "cash_flows",
    "discount_factors",
    "do_minimum",
    "estate_option",
    "fit",
    "hub_capital",
    "hub_costs",
    "nearest",
    "net_present_cost",
    "npc",
    "population_if_added",
    "preferred",
    "required_gia_m2",
    "room_schedule",
    "room_steps",
    "switching_value",
    "switching_values",
]
