"""Names shared by the scenario model and the outputs, in a module light enough for
the drawing process to load without pydantic."""

from typing import Literal

#: ways of travelling to a site ("transit": bus and rail from GTFS, walking between)
Mode = Literal["walk", "cycle", "drive", "transit"]
NEED_FACTORS = (
    "population",
    "age_65_plus",
    "imd_decile_1_2",
    # people in areas in deciles 1-2 of one IoD domain
    "income_decile_1_2",
    "health_decile_1_2",
    "barriers_decile_1_2",
    # Census 2021 residents: bad or very bad health (TS037), disabled, limited a lot (TS038)
    "bad_health",
    "disabled_a_lot",
)
#: what a candidate building is; registers derive it from the use they record
CANDIDATE_KINDS = (
    "retail", "office", "health", "community", "nhs", "council", "industrial", "other"
)  # fmt: skip
CRITERIA = (
    "need_reached",
    "unmet_need_reached",
    "deprivation",
    "cost",
    "floor_area_fit",
    "town_centre",
    "available",
    "spare_floor_area",
)
