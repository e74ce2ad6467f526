"""The typed scenario model: what to read, how to weigh it and what to choose.

A scenario is loaded from TOML with :func:`load_scenario` or built in Python with
``Scenario(...)``. Relative input paths resolve against the scenario's ``data_dir``
when it names one (itself relative to the scenario file; the environment variable
:data:`DATA_DIR_ENV` overrides it, so a test or another machine points a scenario at
its own copy of the data without editing it), else against the scenario file's folder
(or ``base_dir`` when built in Python). Every problem found is reported at once, each
naming the file, the key and what was expected.

Over 400 lines of code because it is one schema: every section model sits beside
the others so the file reads as the reference of the scenario file it validates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from estate_planner._errors import ScenarioError, did_you_mean
from estate_planner._vocabulary import CANDIDATE_KINDS, CRITERIA, NEED_FACTORS, Mode

DEFAULT_MODES: tuple[Mode, ...] = ("walk", "drive")

#: Names the folder a scenario's ``data_dir`` points at, overriding the scenario's own.
DATA_DIR_ENV = "ESTATE_PLANNER_DATA_DIR"


def _resolve(value: Path | None, info: ValidationInfo) -> Path | None:
    """An input path: relative ones start from the data folder, else the file's folder."""
    if value is None:
        return None
    context = info.context or {}
    base = context.get("data_dir") or context.get("base_dir")
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path


def _resolve_here(value: Path | None, info: ValidationInfo) -> Path | None:
    """A path that starts from the scenario file's folder (``data_dir``, ``extends``)."""
    if value is None:
        return None
    base = (info.context or {}).get("base_dir")
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path


def _context(data: dict[str, Any], base_dir: Path | str | None) -> dict[str, Any]:
    """How the scenario's paths resolve: its file's folder and its data folder (the
    environment's :data:`DATA_DIR_ENV` in place of the scenario's ``data_dir``)."""
    named = data.get("data_dir") if isinstance(data, dict) else None
    if named is not None and os.environ.get(DATA_DIR_ENV):
        named = os.environ[DATA_DIR_ENV]
        data["data_dir"] = named
    data_dir = None
    if isinstance(named, str | Path):
        data_dir = Path(named).expanduser()
        if not data_dir.is_absolute() and base_dir is not None:
            data_dir = Path(base_dir) / data_dir
    return {"base_dir": base_dir, "data_dir": data_dir}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AreaConfig(_Model):
    """The study area. Without a boundary, the union of the demand areas is used.

    Services and candidates farther than ``buffer_m`` outside it are left out (with a
    record in the manifest): national NHS lists are read whole and clipped here.
    """

    boundary: Path | None = None
    buffer_m: float = Field(2000.0, ge=0)

    _paths = field_validator("boundary")(_resolve)


class NetworkConfig(_Model):
    """Street network source and travel assumptions."""

    osm: Path
    modes: list[Mode] = Field(default_factory=lambda: list(DEFAULT_MODES), min_length=1)
    walk_kmh: float = Field(4.8, gt=0, le=10)
    cycle_kmh: float = Field(16.0, gt=0, le=40)
    drive_speeds_kmh: dict[str, float] = Field(default_factory=dict)
    max_snap_m: float = Field(500.0, gt=0)
    #: GTFS feeds (zip or folder) for mode "transit": bus, rail, tram together
    gtfs: list[Path] = Field(default_factory=list)

    _paths = field_validator("osm")(_resolve)

    @field_validator("gtfs")
    @classmethod
    def _gtfs_paths(cls, paths: list[Path], info: ValidationInfo) -> list[Path]:
        return [p for p in (_resolve(path, info) for path in paths) if p is not None]

    @model_validator(mode="after")
    def _transit_has_a_timetable(self) -> NetworkConfig:
        if "transit" in self.modes and not self.gtfs:
            raise ValueError(
                'mode "transit" needs a timetable: add gtfs = ["feed.zip", ...] to [network]'
            )
        return self

    @field_validator("modes")
    @classmethod
    def _unique_modes(cls, modes: list[Mode]) -> list[Mode]:
        if len(set(modes)) != len(modes):
            raise ValueError(f"each mode may be listed once, found {modes}")
        return modes

    @field_validator("drive_speeds_kmh")
    @classmethod
    def _positive_speeds(cls, speeds: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in speeds.items() if not 0 < v <= 130}
        if bad:
            raise ValueError(f"speeds must be between 0 and 130 km/h, found {bad}")
        return speeds


class DemandConfig(_Model):
    """Small areas with population and deprivation."""

    areas: Path
    id_column: str = "LSOA21CD"
    population: Path | None = None
    deprivation: Path | None = None
    lookup: Path | None = None
    raster: Path | None = None
    raster_units: Literal["people", "people_per_km2"] = "people"
    #: our names -> the population file's (``id``, ``population``, ``age_65_plus``)
    population_columns: dict[str, str] = Field(default_factory=dict)
    #: our names -> the deprivation file's (``id``, ``imd_decile``, ``imd_rank``)
    deprivation_columns: dict[str, str] = Field(default_factory=dict)
    #: the edition of a plain deprivation table ("IoD 2025"); published files say it
    deprivation_index: str | None = Field(None, min_length=1)
    #: Census 2021 TS037 general health by LSOA 2021 (Nomis layout)
    health: Path | None = None
    #: Census 2021 TS038 disability by LSOA 2021 (Nomis layout)
    disability: Path | None = None
    #: Census 2021 TS045 car or van availability by LSOA 2021 (Nomis layout)
    cars: Path | None = None
    #: population to come: choose for this year (None: today's population)
    target_year: int | None = Field(None, ge=2000, le=2100)
    #: the year of the population file (Census 2021 and mid-2021 estimates: 2021)
    base_year: int = Field(2021, ge=2000, le=2100)
    #: projections by area (local authority), age and year (ONS subnational form)
    projections: Path | None = None
    #: housing sites (points or polygons) with dwellings and the year each is complete
    housing: Path | None = None
    #: residents per new dwelling (Census 2021: 2.36 per household in England)
    persons_per_dwelling: float = Field(2.4, gt=0, le=10)
    #: share of the residents of new dwellings aged 65+ (England, Census 2021: 18.4%)
    housing_share_65_plus: float = Field(0.18, ge=0, le=1)

    _paths = field_validator(
        "areas", "population", "deprivation", "lookup", "raster", "health", "disability", "cars",
        "projections", "housing",
    )(_resolve)  # fmt: skip

    @model_validator(mode="after")
    def _future_needs_a_year(self) -> DemandConfig:
        if (self.projections or self.housing) and self.target_year is None:
            raise ValueError(
                "projections and housing sites need the year to plan for: add target_year "
                "(e.g. 2035) to [demand]"
            )
        if self.target_year is not None and self.target_year < self.base_year:
            raise ValueError(
                f"target_year {self.target_year} is before base_year {self.base_year}"
            )
        return self

    @field_validator("population_columns", "deprivation_columns")
    @classmethod
    def _our_names(cls, columns: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        allowed = {
            "population_columns": ("id", "population", "age_65_plus"),
            "deprivation_columns": ("id", "imd_decile", "imd_rank"),
        }[str(info.field_name)]
        for key in columns:
            if key not in allowed:
                raise ValueError(f"unknown column {key!r}{_hint(key, allowed)}")
        return columns


class NeedConfig(_Model):
    """Weights of the need index: need = sum(weight x factor) per demand point."""

    weights: dict[str, float] = Field(
        default_factory=lambda: {"population": 1.0, "age_65_plus": 0.5, "imd_decile_1_2": 0.5}
    )

    @field_validator("weights")
    @classmethod
    def _known_factors(cls, weights: dict[str, float]) -> dict[str, float]:
        return _check_weights(weights, NEED_FACTORS, "need factor")


class ServiceConfig(_Model):
    """One file of existing services (GP practices, pharmacies, hospitals)."""

    path: Path
    kind: str = Field(min_length=1)
    active_only: bool = True
    postcodes: Path | None = None
    #: whether these services count as existing provision (define unmet need); shown
    #: on the map either way
    counts: bool = True

    _paths = field_validator("path", "postcodes")(_resolve)


class RegisterConfig(_Model):
    """One property register: a council's business-rates list, its land and building
    assets (Transparency Code), NHS ERIC site data, or a table in our schema."""

    path: Path
    format: Literal["auto", "business_rates", "council_assets", "eric", "table"] = "auto"
    #: the reader's names -> the file's, for headers it does not recognise
    columns: dict[str, str] = Field(default_factory=dict)
    #: located lists (ODS code, name, coordinates) that place ERIC sites
    locations: list[Path] = Field(default_factory=list)
    #: kinds kept from a business-rates list (default retail, office, health, community)
    uses: list[str] | None = None
    #: keep council land holdings that are not buildings (bare land, car parks...)
    include_land: bool = False
    #: the year the register describes ("2016/17"), where its file name does not say;
    #: one publisher's registers of several years are merged by site id, latest first
    year: str | None = None

    _paths = field_validator("path")(_resolve)

    @field_validator("locations")
    @classmethod
    def _location_paths(cls, paths: list[Path], info: ValidationInfo) -> list[Path]:
        return [p for p in (_resolve(path, info) for path in paths) if p is not None]

    @field_validator("uses")
    @classmethod
    def _known_uses(cls, uses: list[str] | None) -> list[str] | None:
        for use in uses or []:
            if use not in CANDIDATE_KINDS:
                raise ValueError(f"unknown use {use!r}{_hint(use, CANDIDATE_KINDS)}")
        return uses


class CorrectionConfig(_Model):
    """One correction a team makes to a candidate as read (a site placed by hand, its
    kind, availability or floor area), with who made it and when. Applied after
    reading, by site id, so it lasts when the register is republished."""

    site_id: str = Field(min_length=1)
    longitude: float | None = Field(None, ge=-180, le=180)
    latitude: float | None = Field(None, ge=-90, le=90)
    kind: str | None = None
    available: bool | None = None
    floor_area_m2: float | None = Field(None, gt=0)
    #: who made the correction, and when
    by: str = ""
    on: dt.date | None = None
    note: str = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str | None) -> str | None:
        if kind is not None and kind not in CANDIDATE_KINDS:
            raise ValueError(f"unknown kind {kind!r}{_hint(kind, CANDIDATE_KINDS)}")
        return kind

    @model_validator(mode="after")
    def _both_coordinates(self) -> CorrectionConfig:
        if (self.longitude is None) != (self.latitude is None):
            raise ValueError(f"correction of {self.site_id}: give longitude and latitude both")
        return self


class CandidatesConfig(_Model):
    """Candidate properties: a property list (``path``), property registers
    (``[[candidates.registers]]``), OSM buildings (``from_osm``), in any combination.
    ``columns`` maps our names to the list's names.
    """

    path: Path | None = None
    from_osm: bool = False
    registers: list[RegisterConfig] = Field(default_factory=list)
    columns: dict[str, str] = Field(default_factory=dict)
    crs: str | None = None
    town_centres: Path | None = None
    #: corrections to candidates as read, in the scenario ...
    corrections: list[CorrectionConfig] = Field(default_factory=list)
    #: ... or in a CSV a team keeps (``site_id, longitude, latitude, kind, available,
    #: floor_area_m2, by, on, note``; blank cells change nothing)
    corrections_file: Path | None = None

    _paths = field_validator("path", "town_centres", "corrections_file")(_resolve)

    @property
    def sources(self) -> bool:
        """Whether any candidate source is given."""
        return self.path is not None or self.from_osm or bool(self.registers)


class TransitConfig(_Model):
    """How public transport times are measured: a percentile over a departure window
    on one day, as the Department for Transport's journey time statistics do."""

    #: the day whose timetable is used (a term-time weekday is usual)
    date: dt.date | None = None
    start: str = Field("07:00", pattern=r"^\d{1,2}:\d{2}(:\d{2})?$")
    end: str = Field("10:00", pattern=r"^\d{1,2}:\d{2}(:\d{2})?$")
    #: minutes between departures tried in the window
    step_minutes: float = Field(1.0, gt=0, le=60)
    percentile: float = Field(50.0, ge=0, le=100)
    max_transfers: int = Field(3, ge=0, le=8)
    max_access_walk_minutes: float = Field(15.0, gt=0, le=60)
    max_transfer_walk_minutes: float = Field(10.0, ge=0, le=30)


class AccessConfig(_Model):
    """Travel-time thresholds, in minutes, per mode."""

    walk_minutes: float = Field(20.0, gt=0, le=180)
    cycle_minutes: float = Field(15.0, gt=0, le=180)
    drive_minutes: float = Field(15.0, gt=0, le=180)
    transit_minutes: float = Field(30.0, gt=0, le=180)
    #: distance decay of the E2SFCA access ratio: Gaussian, or steps at a third,
    #: two thirds and all of the threshold weighted 1, 0.68 and 0.22 (Luo and Qi)
    decay: Literal["gaussian", "step"] = "gaussian"

    def minutes(self, mode: str) -> float:
        """Threshold in minutes for ``mode``.

        Parameters
        ----------
        mode : str

        Returns
        -------
        float
        """
        return float(getattr(self, f"{mode}_minutes"))


class ScoringConfig(_Model):
    """Weights of the multi-criteria score and hard constraints on candidates."""

    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "need_reached": 0.4,
            "unmet_need_reached": 0.3,
            "deprivation": 0.2,
            "cost": 0.1,
        }
    )
    min_floor_area_m2: float | None = Field(None, ge=0)
    max_floor_area_m2: float | None = Field(None, gt=0)
    #: whether a site whose floor area is not known passes ``min_floor_area_m2`` (by
    #: default it is set aside, and the report counts how many were)
    unknown_floor_area_passes: bool = False
    available_only: bool = False
    exclude_kinds: list[str] = Field(default_factory=list)
    sensitivity_runs: int = Field(500, ge=0, le=100_000)
    sensitivity_spread: float = Field(0.2, ge=0, lt=1)
    seed: int = 0

    @field_validator("weights")
    @classmethod
    def _known_criteria(cls, weights: dict[str, float]) -> dict[str, float]:
        return _check_weights(weights, CRITERIA, "criterion")

    @model_validator(mode="after")
    def _floor_range(self) -> ScoringConfig:
        low, high = self.min_floor_area_m2, self.max_floor_area_m2
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"min_floor_area_m2 ({low}) is above max_floor_area_m2 ({high}); swap them"
            )
        return self


class SelectionConfig(_Model):
    """How many hubs to choose, by which objective, on which mode."""

    #: 0: an access analysis only (no candidate is needed, none is chosen)
    hubs: int = Field(3, ge=0)
    objective: Literal["coverage", "median"] = "coverage"
    mode: Mode | None = None
    budget_gbp: float | None = Field(None, gt=0)
    time_limit_s: float = Field(60.0, gt=0)
    #: a hub adding no more than this (need reached, or seconds saved) is not chosen
    min_gain: float = Field(0.0, ge=0)
    #: draws of the need weights in the certainty check of the chosen set (0: no check)
    stability_runs: int = Field(10, ge=0, le=1000)
    #: each need weight is drawn between (1 - spread) and (1 + spread) times its value
    weight_spread: float = Field(0.5, ge=0, lt=1)
    #: minutes every threshold moves down and up in the certainty check (the band)
    threshold_step_minutes: float = Field(5.0, ge=0)
    #: a hub whose gain comes mostly from people within this many minutes of the
    #: threshold is flagged "depends on the threshold"
    threshold_margin_minutes: float = Field(2.0, ge=0)
    #: modes a person counts as reached by (any of them; driving only for households
    #: with a car where the demand has a no-car share); empty: ``mode`` alone
    reached_by: list[Mode] = Field(default_factory=list)
    #: choose the fewest sites (at most ``hubs``) reaching this share of unmet need
    target_share: float | None = Field(None, gt=0, le=1)
    #: the most people (registered patients) one hub can serve (coverage objective);
    #: the same unit as the economic case's assignment
    capacity: float | None = Field(None, gt=0)
    #: the most the chosen hubs' indicative capital may total (£, year 0, before optimism
    #: bias), each candidate sized and costed by [appraisal] as the only hub added
    capital_budget_gbp: float | None = Field(None, gt=0)
    #: with target_share: reach it with the fewest hubs, or with the least capital
    minimise: Literal["hubs", "capital"] = "hubs"

    @model_validator(mode="after")
    def _one_budget(self) -> SelectionConfig:
        if self.capital_budget_gbp is not None and self.budget_gbp is not None:
            raise ValueError(
                "selection.budget_gbp (a year) and selection.capital_budget_gbp (capital) "
                "are both set; the optimiser takes one budget: remove one"
            )
        if self.capital_budget_gbp is not None and self.target_share is not None:
            raise ValueError(
                "selection.capital_budget_gbp caps the capital of `hubs` hubs and "
                "selection.target_share asks for a reach: set one (for the least capital "
                'reaching a share, use target_share with minimise = "capital")'
            )
        if self.minimise == "capital" and (
            self.target_share is None or self.capacity is not None or self.objective != "coverage"
        ):
            raise ValueError(
                'selection.minimise = "capital" needs selection.target_share (the reach to '
                'attain), objective = "coverage" and no selection.capacity; set them or '
                'use minimise = "hubs"'
            )
        return self

    @model_validator(mode="after")
    def _several_modes_with_coverage(self) -> SelectionConfig:
        if len(self.reached_by) > 1 and self.objective != "coverage":
            raise ValueError(
                'selection.reached_by with more than one mode works with objective = "coverage"; '
                "keep one mode or use coverage"
            )
        if len(set(self.reached_by)) != len(self.reached_by):
            raise ValueError(
                f"each mode may be listed once in selection.reached_by, found {self.reached_by}"
            )
        return self

    @model_validator(mode="after")
    def _capacity_with_coverage(self) -> SelectionConfig:
        if self.capacity is not None and self.objective != "coverage":
            raise ValueError('selection.capacity works with objective = "coverage"; remove one')
        return self


class AppraisalConfig(_Model):
    """The indicative economic case: who each hub serves, its size and its cost.

    Every default is illustrative unless ``estate_planner.appraisal.ASSUMPTIONS`` gives
    it a published source; replace them with local figures and say where each came
    from in ``[appraisal.sources]`` (setting -> source), which the Assumptions sheet
    prints beside the value.
    """

    enabled: bool = True
    #: NHS Digital "Patients Registered at a GP Practice", practice totals (list sizes)
    registrations: Path | None = None
    #: the same publication's LSOA breakdown (where each practice's patients live)
    registrations_lsoa: Path | None = None
    #: registered patients one new hub can serve (none: no limit)
    hub_capacity_people: float | None = Field(None, gt=0)
    # sizing
    patients_per_gp_fte: float = Field(2258.0, gt=0)
    gp_sessions_per_fte_week: float = Field(9.0, gt=0)
    other_sessions_per_gp_session: float = Field(1.0, ge=0)
    sessions_per_room_week: float = Field(10.0, gt=0)
    utilisation: float = Field(0.6, gt=0, le=1)
    treatment_share: float = Field(0.2, ge=0, le=1)
    interview_share: float = Field(0.15, ge=0, le=1)
    group_rooms: int = Field(1, ge=0)
    consult_room_m2: float = Field(14.0, gt=0)
    treatment_room_m2: float = Field(15.0, gt=0)
    interview_room_m2: float = Field(9.5, gt=0)
    group_room_m2: float = Field(19.0, gt=0)
    support_share: float = Field(0.6, ge=0)
    circulation_share: float = Field(0.29, ge=0)
    max_extension_share: float = Field(0.3, ge=0)
    new_build_kinds: list[str] = Field(default_factory=lambda: ["nhs", "council"])
    # costs
    refurbish_gbp_per_m2: float = Field(1500.0, ge=0)
    extension_gbp_per_m2: float = Field(3200.0, ge=0)
    new_build_gbp_per_m2: float = Field(3800.0, ge=0)
    location_factor: float = Field(1.0, gt=0)
    optimism_bias: float = Field(0.24, ge=0, le=2)
    rent_gbp_per_m2: float = Field(200.0, ge=0)
    running_gbp_per_m2: float = Field(120.0, ge=0)
    bau_annual_gbp: float = Field(0.0, ge=0)
    bau_one_off_gbp: float = Field(0.0, ge=0)
    option_one_off_gbp: float = 0.0
    appraisal_years: int = Field(30, ge=1, le=60)
    renewal_share: float = Field(0.0, ge=0, le=1)
    renewal_every: int = Field(0, ge=0)
    asset_life: int = Field(60, ge=0)
    do_minimum_share: float = Field(0.8, gt=0, le=1)
    #: where each replaced value came from (setting -> source)
    sources: dict[str, str] = Field(default_factory=dict)

    _paths = field_validator("registrations", "registrations_lsoa")(_resolve)

    @field_validator("new_build_kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        for kind in kinds:
            if kind not in CANDIDATE_KINDS:
                raise ValueError(f"unknown kind {kind!r}{_hint(kind, CANDIDATE_KINDS)}")
        return kinds

    @field_validator("sources")
    @classmethod
    def _known_settings(cls, sources: dict[str, str]) -> dict[str, str]:
        names = [n for n in cls.model_fields if n not in ("enabled", "sources")]
        for key in sources:
            if key not in names:
                raise ValueError(f"sources names unknown setting {key!r}{_hint(key, names)}")
        return sources


EditAction = Literal[
    "close_service",
    "open_service",
    "add_development",
    "scale_population",
    "exclude_candidate",
    "force_candidate",
]
#: ONS Census 2021: 2.36 people per household in England; new family housing runs
#: a little higher, so 2.4 is the default for a development.
PERSONS_PER_HOME = 2.4


class EditConfig(_Model):
    """One what-if change to the inputs.

    - ``close_service``: ``ids`` of existing services to close.
    - ``open_service``: a new service ``name`` of ``kind`` at ``longitude``/``latitude``.
    - ``add_development``: ``homes`` new homes at ``longitude``/``latitude``, turned
      into ``homes x persons_per_home`` people of whom ``share_65_plus`` are 65+; the
      IMD decile is that of the area it falls in unless ``imd_decile`` is given.
    - ``scale_population``: multiply the population of the areas in ``ids`` (all when
      empty) by ``factor``.
    - ``exclude_candidate`` / ``force_candidate``: candidates (``ids``) that may not
      be / must be chosen.
    """

    action: EditAction
    ids: list[str] = Field(default_factory=list)
    name: str | None = None
    kind: str | None = None
    longitude: float | None = Field(None, ge=-9, le=3)
    latitude: float | None = Field(None, ge=49, le=61.5)
    homes: int | None = Field(None, gt=0)
    persons_per_home: float = Field(PERSONS_PER_HOME, gt=0, le=10)
    share_65_plus: float = Field(0.18, ge=0, le=1)
    imd_decile: int | None = Field(None, ge=1, le=10)
    factor: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _fields_for_action(self) -> EditConfig:
        needs = {
            "close_service": ["ids"],
            "exclude_candidate": ["ids"],
            "force_candidate": ["ids"],
            "open_service": ["name", "kind", "longitude", "latitude"],
            "add_development": ["homes", "longitude", "latitude"],
            "scale_population": ["factor"],
        }[self.action]
        missing = [f for f in needs if not getattr(self, f)]
        if missing:
            raise ValueError(f"edit {self.action!r} needs {', '.join(missing)}")
        return self


class ReportConfig(_Model):
    """How the report dates its inputs."""

    #: an input whose data is older than this many years is flagged on the first page
    stale_after_years: float = Field(3.0, gt=0)
    #: the date an input's data describes, by scenario key, where the file does not say
    #: it (``"candidates.registers[0]" = "2016/17"``); it replaces the date read from
    #: the file's name or its last-modified time
    input_dates: dict[str, str] = Field(default_factory=dict)
    #: the data are made up (the demo): outputs say so instead of crediting publishers
    synthetic: bool = False
    #: the credits line, where the default (OSM, ONS, MHCLG, NHS) does not fit
    credits: str = ""


class Scenario(_Model):
    """A whole scenario. Build from Python or load with :func:`load_scenario`."""

    name: str = Field(min_length=1)
    area: AreaConfig = Field(default_factory=AreaConfig)
    network: NetworkConfig
    demand: DemandConfig
    need: NeedConfig = Field(default_factory=NeedConfig)
    services: list[ServiceConfig] = Field(default_factory=list)
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    access: AccessConfig = Field(default_factory=AccessConfig)
    transit: TransitConfig = Field(default_factory=TransitConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    edits: list[EditConfig] = Field(default_factory=list)
    appraisal: AppraisalConfig = Field(default_factory=AppraisalConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    extends: Path | None = None
    #: the folder relative input paths start from (relative to the scenario file);
    #: the environment's ESTATE_PLANNER_DATA_DIR takes its place where set
    data_dir: Path | None = None

    _extends = field_validator("extends", "data_dir")(_resolve_here)

    @model_validator(mode="after")
    def _transit_has_a_day(self) -> Scenario:
        if "transit" in self.network.modes and self.transit.date is None:
            raise ValueError(
                'mode "transit" needs the day to route on: add [transit] date = '
                '"YYYY-MM-DD" (a weekday the feeds run)'
            )
        return self

    @model_validator(mode="after")
    def _some_candidates(self) -> Scenario:
        if self.selection.hubs and not self.candidates.sources:
            raise ValueError(
                "give a property list in candidates.path, property registers in "
                "[[candidates.registers]], or set candidates.from_osm = true to use vacant "
                "shops, civic and health buildings from the OSM extract (or set "
                "selection.hubs = 0 for an access analysis that chooses no hub)"
            )
        return self

    @model_validator(mode="after")
    def _selection_mode_is_built(self) -> Scenario:
        mode = self.selection.mode
        if mode is not None and mode not in self.network.modes:
            raise ValueError(
                f"selection.mode is {mode!r} but network.modes is {self.network.modes}; "
                f"add {mode!r} to network.modes or pick one of them"
            )
        return self

    @model_validator(mode="after")
    def _census_factors_have_tables(self) -> Scenario:
        tables = {"bad_health": "health", "disabled_a_lot": "disability"}
        for factor, key in tables.items():
            if self.need.weights.get(factor) and getattr(self.demand, key) is None:
                raise ValueError(
                    f"need weight {factor!r} needs Census 2021 counts: add {key} = "
                    f'"census2021-ts0{37 if key == "health" else 38}-lsoa.csv" to [demand] '
                    f"(or weigh {factor!r} 0)"
                )
        return self

    @model_validator(mode="after")
    def _selection_modes_are_built(self) -> Scenario:
        missing = [m for m in self.selection.reached_by if m not in self.network.modes]
        if missing:
            raise ValueError(
                f"selection.reached_by lists {missing} but network.modes is {self.network.modes}; "
                "add them to network.modes or leave them out"
            )
        return self

    @property
    def selection_modes(self) -> list[Mode]:
        """The modes a person counts as reached by: ``selection.reached_by``, else the
        selection mode alone."""
        return list(self.selection.reached_by) or [self.selection_mode]

    @property
    def selection_mode(self) -> Mode:
        """The mode coverage and selection use: ``selection.mode`` or the first mode."""
        return self.selection.mode or (self.selection.reached_by or self.network.modes)[0]

    def input_paths(self) -> dict[str, Path]:
        """Every input file named by the scenario, keyed by its scenario key."""
        paths: dict[str, Path | None] = {
            "area.boundary": self.area.boundary,
            "network.osm": self.network.osm,
            "demand.areas": self.demand.areas,
            "demand.population": self.demand.population,
            "demand.deprivation": self.demand.deprivation,
            "demand.lookup": self.demand.lookup,
            "demand.raster": self.demand.raster,
            "demand.health": self.demand.health,
            "demand.disability": self.demand.disability,
            "demand.cars": self.demand.cars,
            "demand.projections": self.demand.projections,
            "demand.housing": self.demand.housing,
            "candidates.path": self.candidates.path,
            "candidates.town_centres": self.candidates.town_centres,
            "candidates.corrections_file": self.candidates.corrections_file,
            "appraisal.registrations": self.appraisal.registrations,
            "appraisal.registrations_lsoa": self.appraisal.registrations_lsoa,
        }
        for i, feed in enumerate(self.network.gtfs):
            paths[f"network.gtfs[{i}]"] = feed
        for i, service in enumerate(self.services):
            paths[f"services[{i}].path"] = service.path
            paths[f"services[{i}].postcodes"] = service.postcodes
        for i, register in enumerate(self.candidates.registers):
            paths[f"candidates.registers[{i}].path"] = register.path
            for j, location in enumerate(register.locations):
                paths[f"candidates.registers[{i}].locations[{j}]"] = location
        return {key: path for key, path in paths.items() if path is not None}

    def updated(self, **changes: Any) -> Scenario:
        """A copy with ``changes`` laid over it, validated again.

        Tables merge key by key and edits add up, as with ``extends``:
        ``scenario.updated(selection={"hubs": 4}, edits=[{"action": "close_service",
        "ids": ["D99001"]}])``.
        """
        data = merge(self.model_dump(mode="json", exclude_none=True), changes)
        return scenario_from_dict(data, source=f"{self.name} (updated)")

    def digest(self) -> str:
        """A stable hash of the scenario's settings (paths included)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_weights(
    weights: dict[str, float], allowed: tuple[str, ...], what: str
) -> dict[str, float]:
    for key, value in weights.items():
        if key not in allowed:
            raise ValueError(f"unknown {what} {key!r}{_hint(key, allowed)}")
        if value < 0:
            raise ValueError(f"weight of {key!r} is {value}; weights must be 0 or more")
    if not weights or sum(weights.values()) <= 0:
        raise ValueError(f"at least one {what} weight must be above 0, found {weights}")
    return weights


def _hint(key: str, allowed: tuple[str, ...] | list[str]) -> str:
    return f"{did_you_mean(key, allowed)} (expected one of: {', '.join(allowed)})"


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Scenario
    for item in loc[:-1]:
        if isinstance(item, int):
            continue
        field = model.model_fields.get(item)
        if field is None:
            return []
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        model = inner[0] if inner and isinstance(inner[0], type) else annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
    return list(model.model_fields)


def describe_validation_error(error: ValidationError, source: str) -> list[str]:
    """Turn a pydantic error into one plain line per problem.

    Parameters
    ----------
    error : pydantic.ValidationError
    source : str
        The file (or "scenario"), named in each line.

    Returns
    -------
    list of str
    """
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        key = _location(loc)
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            hint = _hint(str(loc[-1]), allowed) if allowed else ""
            lines.append(f"{source}: unknown key {key!r}{hint}")
        elif item["type"] == "missing":
            lines.append(f"{source}: required key {key!r} is missing; add it")
        else:
            message = item["msg"].removeprefix("Value error, ")
            found = item.get("input")
            shown = "" if isinstance(found, dict) else f" (found {found!r})"
            lines.append(f"{source}: key {key!r}: {message}{shown}")
    return lines


def scenario_from_dict(
    data: dict[str, Any], *, base_dir: Path | str | None = None, source: str = "scenario"
) -> Scenario:
    """Validate a scenario given as a dict, resolving relative paths against ``base_dir``.

    Parameters
    ----------
    data : dict
        As the TOML file would hold it.
    base_dir : path, optional
        Folder relative paths start from (default the working folder); relative input
        paths start from the scenario's ``data_dir`` where it names one.
    source : str
        Named in error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem found.
    """
    data = dict(data)
    try:
        return Scenario.model_validate(data, context=_context(data, base_dir))
    except ValidationError as exc:
        raise ScenarioError("\n".join(describe_validation_error(exc, source))) from None


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ScenarioError(
            f"{path}: scenario file not found; check the path "
            "(run `estate-planner demo` to see a working example)"
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file; save it as UTF-8") from None


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` laid over it.

    Tables merge key by key, edits add up, any other value (services included) is
    replaced.

    Parameters
    ----------
    base, changes : dict

    Returns
    -------
    dict
    """
    out = dict(base)
    for key, value in changes.items():
        if key == "edits":
            out[key] = [*base.get(key, []), *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merge(base[key], value)
        else:
            out[key] = value
    return out


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario TOML file.

    A scenario with ``extends = "base.toml"`` starts from that file (its paths
    relative to it) and states only what differs; its ``[[edits]]`` add to the base's.

    Parameters
    ----------
    path
        The scenario file; relative paths in it resolve against its folder.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        Naming the file and every bad key, with what was expected.

    Examples
    --------
    >>> scenario = load_scenario("data/demo/scenario.toml")  # doctest: +SKIP
    >>> scenario.selection.hubs  # doctest: +SKIP
    3
    """
    path = Path(path)
    data = _scenario_data(path)
    return scenario_from_dict(data, base_dir=path.resolve().parent, source=str(path))


def _scenario_data(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario file's table, laid over the scenario it extends."""
    data = _read_toml(path)
    if "extends" not in data:
        return data
    base_path = (path.resolve().parent / str(data["extends"])).resolve()
    if base_path in seen:
        raise ScenarioError(f"{path}: extends {base_path}, which extends it back; remove the loop")
    base = load_scenario_from(base_path, (*seen, path.resolve()))
    # the base's paths come resolved; its data folder is its own, not this file's
    inherited = base.model_dump(mode="json", exclude_none=True, exclude={"data_dir"})
    merged = merge(inherited, data)
    merged["extends"] = str(base_path)
    return merged


def load_scenario_from(path: Path, seen: tuple[Path, ...]) -> Scenario:
    """:func:`load_scenario` of a base scenario, ``seen`` guarding against loops.

    Parameters
    ----------
    path : pathlib.Path
    seen : tuple of pathlib.Path
        Files already being loaded.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        On a loop of ``base`` files, or as :func:`load_scenario`.
    """
    data = _scenario_data(path, seen)
    return scenario_from_dict(data, base_dir=path.resolve().parent, source=str(path))


def check_scenario(path: Path | str) -> tuple[Scenario | None, list[str]]:
    """Every problem with the scenario's keys, and the scenario without the bad ones.

    Unlike :func:`load_scenario` this does not stop at bad keys: they are reported and
    left out (a default takes their place) so that the input files can still be checked.

    Parameters
    ----------
    path : path

    Returns
    -------
    scenario : Scenario or None
        None when a required key is missing or the file cannot be read at all.
    problems : list of str
    """
    path = Path(path)
    try:
        data = _scenario_data(path)
    except ScenarioError as exc:
        return None, str(exc).splitlines()
    problems: list[str] = []
    for _ in range(5):  # leaving a bad key out may show one more below it
        try:
            context = _context(data, path.resolve().parent)
            scenario = Scenario.model_validate(data, context=context)
        except ValidationError as exc:
            problems += [p for p in describe_validation_error(exc, str(path)) if p not in problems]
            errors = sorted(exc.errors(), key=lambda e: [str(x) for x in e["loc"]], reverse=True)
            if any(e["type"] == "missing" for e in errors) or not all(
                _leave_out(data, tuple(e["loc"])) for e in errors
            ):
                return None, problems
            continue
        return scenario, problems
    return None, problems


def _leave_out(data: Any, loc: tuple[int | str, ...]) -> bool:
    """Remove the value at ``loc`` from ``data``; False if it cannot be left out."""
    if not loc:
        return False
    *parents, last = loc
    for part in parents:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return True  # already left out with its parent
    if isinstance(data, dict) and last in data:
        del data[last]
        return True
    if isinstance(data, list) and isinstance(last, int) and last < len(data):
        del data[last]
        return True
    return False


def missing_inputs(scenario: Scenario) -> list[str]:
    """One line per input file the scenario names that does not exist.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of str
    """
    return [
        f"{key}: file {path} not found; fix the path in the scenario"
        for key, path in scenario.input_paths().items()
        if not (path.is_file() or (key.startswith("network.gtfs") and path.is_dir()))
    ]  # a GTFS feed may be a folder of its files, as operators also publish it
