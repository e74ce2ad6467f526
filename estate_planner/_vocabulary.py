"""Names shared by the scenario model and the outputs, in a module light enough for
the drawing process to load without pydantic."""

NEED_FACTORS = ("population", "age_65_plus", "imd_decile_1_2")
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
