"""Census 2021 TS037, TS038 and TS045 as Nomis publishes them (../shared/data).

Expected values are the provenance's check row (E01000001: 837 households, 555 with no
car or van) and sums taken with the csv module over the published columns, listed here
by hand (TS038's top level is "disabled" and "not disabled"; their sub-columns nest).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from estate_planner import InputDataError
from estate_planner.sources.census import census_shares, read_census_table, top_level_sum

FILES = {"health": "ts037", "disability": "ts038", "cars": "ts045"}
TOP_LEVEL = {
    "health": [
        "General health: Very good health",
        "General health: Good health",
        "General health: Fair health",
        "General health: Bad health",
        "General health: Very bad health",
    ],
    "disability": [
        "Disability: Disabled under the Equality Act",
        "Disability: Not disabled under the Equality Act",
    ],
    "cars": [
        "Number of cars or vans: No cars or vans in household",
        "Number of cars or vans: 1 car or van in household",
        "Number of cars or vans: 2 cars or vans in household",
        "Number of cars or vans: 3 or more cars or vans in household",
    ],
}
TOTAL = {
    "health": "General health: Total: All usual residents",
    "disability": "Disability: Total: All usual residents",
    "cars": "Number of cars or vans: Total: All households",
}


def path_of(shared_data: Path, table: str) -> Path:
    return shared_data / "census2021_health_cars" / f"census2021-{FILES[table]}-lsoa.csv.gz"


def raw_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tables(shared_data: Path) -> dict[str, object]:
    return {t: read_census_table(path_of(shared_data, t), f"demand.{t}", t) for t in FILES}


def test_e01000001_has_837_households_555_without_a_car(tables: dict) -> None:  # type: ignore[type-arg]
    cars, record = tables["cars"]
    assert cars.loc["E01000001", "total"] == 837
    assert cars.loc["E01000001", "no cars or vans in household"] == 555
    assert record.layout == "Census 2021 TS045 (Number of cars or vans, households), Nomis layout"
    shares = census_shares({"cars": cars})
    assert shares.loc["E01000001", "no_car_share"] == pytest.approx(555 / 837)
    assert shares.loc["E01000001", "households_no_car"] == 555
    assert np.isnan(shares.loc["E01000001", "bad_health_share"])


@pytest.mark.parametrize("table", list(FILES))
def test_totals_are_the_sum_of_the_top_level_categories(
    tables: dict,
    shared_data: Path,
    table: str,  # type: ignore[type-arg]
) -> None:
    counts, record = tables[table]
    rows = raw_rows(path_of(shared_data, table))
    assert len(counts) == len(rows) == 35_672
    by_hand = {r["geography code"]: sum(int(r[c]) for c in TOP_LEVEL[table]) for r in rows}
    totals = {r["geography code"]: int(r[TOTAL[table]]) for r in rows}
    assert by_hand == totals  # the published file adds up in every row
    assert (top_level_sum(counts) == counts["total"]).all()
    assert top_level_sum(counts).to_dict() == by_hand
    assert record.counts == {}
    if table == "disability":  # the nested pair adds up to its parent
        parent = counts["disabled under the equality act"]
        parts = counts.filter(like="disabled under the equality act: day-to-day").sum(axis=1)
        assert (parent == parts).all()


def test_shares_of_bad_health_and_disability(tables: dict) -> None:  # type: ignore[type-arg]
    shares = census_shares({t: tables[t][0] for t in FILES})
    # E01000001: 18 bad + 11 very bad of 1,475; 36 limited a lot of 1,475
    assert shares.loc["E01000001", "bad_health_share"] == pytest.approx(29 / 1475)
    assert shares.loc["E01000001", "disabled_a_lot_share"] == pytest.approx(36 / 1475)
    assert (
        shares[["bad_health_share", "disabled_a_lot_share", "no_car_share"]]
        .stack()
        .between(0, 1)
        .all()
    )


def test_the_wrong_table_is_named(shared_data: Path) -> None:
    with pytest.raises(InputDataError, match=r"not Census 2021 TS045 .*found General health"):
        read_census_table(path_of(shared_data, "health"), "demand.cars", "cars")


def test_text_in_a_count_names_the_area(tmp_path: Path) -> None:
    path = tmp_path / "ts045.csv"
    path.write_text(
        "date,geography,geography code,Number of cars or vans: Total: All households,"
        "Number of cars or vans: No cars or vans in household\n"
        "2021,A,E1,10,4\n2021,B,E2,10,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError, match=r"geography code E2"):
        read_census_table(path, "demand.cars", "cars")
