"""The English Indices of Deprivation 2025 in every published form, and 2019 beside it.

Expected values are read from the published rows with the csv module (not the reader
under test) or stated in ../shared/data/iod2025/PROVENANCE.md (E01000001: IMD score
8.742, rank 26525, decile 8).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estate_planner import InputDataError
from estate_planner.sources.areas import deprivation_for, read_deprivation
from estate_planner.sources.tables import read_table

IMD_RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
IMD_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
TRUNCATED = "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSO"
DOMAINS = [
    "Income",
    "Employment",
    "Education, Skills and Training",
    "Health Deprivation and Disability",
    "Crime",
    "Barriers to Housing and Services",
    "Living Environment",
]
NAMES = [
    "LSOA code (2021)",
    "LSOA name (2021)",
    "Local Authority District code (2024)",
    "Local Authority District name (2024)",
]


def published_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def iod(shared_data: Path) -> Path:
    return shared_data / "iod2025"


@pytest.fixture(scope="module")
def first40(iod: Path) -> list[dict[str, str]]:
    return published_rows(iod, "File_7_IoD2025_rows_first40.csv")


def workbook(path: Path, sheet: str, header: list[str], rows: list[list[object]]) -> Path:
    """A workbook as MHCLG lays it out: a notes sheet first, then the data sheet."""
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["English Indices of Deprivation 2025"])
    notes.append(["Contains public sector information licensed under the OGL v3.0"])
    data = book.create_sheet(sheet)
    data.append(header)
    for row in rows:
        data.append(row)
    book.save(path)
    return path


def test_file_7_as_published(iod: Path, first40: list[dict[str, str]]) -> None:
    path = iod / "File_7_IoD2025_rows_first40.csv"
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.count(",") + 1 - header.count('"') // 2 == 56  # 56 columns, 3 quoted
    assert TRUNCATED in header
    table, record = read_deprivation(path, "LSOA21CD")
    assert record.layout == "IoD 2025, File 7 (scores, ranks and deciles)"
    assert table.attrs["index"] == "IoD 2025"
    assert len(table) == 40
    assert table.loc["E01000001", ["imd_score", "imd_rank", "imd_decile"]].tolist() == [
        8.742, 26525, 8
    ]  # fmt: skip
    for row in first40:
        code = row["LSOA code (2021)"]
        assert table.loc[code, "imd_rank"] == int(row[IMD_RANK])
        assert table.loc[code, "income_decile"] == int(
            row["Income Decile (where 1 is most deprived 10% of LSOAs)"]
        )
        assert table.loc[code, "health_rank"] == int(
            row["Health Deprivation and Disability Rank (where 1 is most deprived)"]
        )
        assert table.loc[code, "barriers_decile"] == int(
            row["Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)"]
        )


def test_the_national_values_under_file_7_headers(iod: Path) -> None:
    table, record = read_deprivation(
        iod / "iod2025_domains_lsoa21_england_file7_columns.csv.gz", "LSOA21CD"
    )
    assert record.layout.startswith("IoD 2025, File 7")
    assert len(table) == 33_755 and table.index.str.startswith("E01").all()
    counts = table["imd_decile"].value_counts()
    assert sorted(counts.index) == list(range(1, 11)) and set(counts) <= {3375, 3376}
    assert table.loc["E01000001", ["imd_score", "imd_rank", "imd_decile"]].tolist() == [
        8.742, 26525, 8
    ]  # fmt: skip
    # the Rutland rows of the real published file agree with the national values
    rutland = published_rows(iod, "File_7_IoD2025_rows_rutland.csv")
    assert len(rutland) == 26
    for row in rutland:
        code = row["LSOA code (2021)"]
        assert table.loc[code, "imd_decile"] == int(row[IMD_DECILE])
        assert table.loc[code, "imd_score"] == float(
            row["Index of Multiple Deprivation (IMD) Score"]
        )


def test_file_1_and_file_2_workbooks(
    tmp_path: Path, iod: Path, first40: list[dict[str, str]]
) -> None:
    imd = [IMD_RANK, IMD_DECILE]
    domains = [
        f"{d} {part}"
        for d in DOMAINS
        for part in (
            "Rank (where 1 is most deprived)",
            "Decile (where 1 is most deprived 10% of LSOAs)",
        )
    ]
    one = workbook(
        tmp_path / "File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx",
        "IMD25",
        NAMES + imd,
        [[r[c] for c in NAMES] + [int(r[c]) for c in imd] for r in first40],
    )
    two = workbook(
        tmp_path / "File_2_IoD2025_Domains_of_Deprivation.xlsx",
        "IoD2025 Domains",
        NAMES + imd + domains,
        [[r[c] for c in NAMES] + [int(r[c]) for c in imd + domains] for r in first40],
    )
    first, record_1 = read_deprivation(one, "LSOA21CD")
    second, record_2 = read_deprivation(two, "LSOA21CD")
    assert record_1.layout == "IoD 2025, File 1 (IMD)"
    assert record_2.layout == "IoD 2025, File 2 (domains)"
    assert read_table(two, "x", header_words=["decile"])[1] == "IoD2025 Domains"
    seven, _ = read_deprivation(iod / "File_7_IoD2025_rows_first40.csv", "LSOA21CD")
    assert first.loc["E01000001", ["imd_rank", "imd_decile"]].tolist() == [26525, 8]
    columns = ["imd_rank", "imd_decile"]
    pd.testing.assert_frame_equal(first[columns], seven[columns], check_dtype=False)
    columns += [f"{d}_{p}" for d in ("income", "health", "barriers") for p in ("rank", "decile")]
    pd.testing.assert_frame_equal(second[columns], seven[columns], check_dtype=False)
    assert first["income_decile"].isna().all() and second["imd_score"].isna().all()


def test_a_workbook_without_the_table_says_which_sheets_it_has(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", "Other", ["a", "b"], [[1, 2]])
    with pytest.raises(
        InputDataError, match=r"no sheet has a header row with decile.*Notes, Other"
    ):
        read_deprivation(path, "LSOA21CD")


def test_iod_2019_is_still_read_and_named(shared_data: Path) -> None:
    path = shared_data / "imd2019" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    table, record = read_deprivation(path, "LSOA21CD")
    assert record.layout == "IoD 2019, File 1 (IMD)"
    with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
        row = next(csv.DictReader(handle))
    assert table.loc[row["LSOA code (2011)"], "imd_rank"] == int(
        row["Index of Multiple Deprivation (IMD) Rank"].replace(",", "")
    )


def test_a_plain_table_names_its_edition_only_when_told(tmp_path: Path) -> None:
    path = tmp_path / "deprivation.csv"
    path.write_text("id,imd_decile\nE1,2\n", encoding="utf-8")
    assert read_deprivation(path, "x")[1].layout.startswith("IMD (edition not stated)")
    assert read_deprivation(path, "x", index="IoD 2025")[1].layout.startswith("IoD 2025")
    named = tmp_path / "imd2025_lsoa.csv"
    named.write_text("id,imd_decile\nE1,2\n", encoding="utf-8")
    assert read_deprivation(named, "x")[1].layout.startswith("IoD 2025")


def test_merged_areas_take_deciles_over_the_editions_ranks() -> None:
    """Two 2011 parents merged into one 2021 area: the mean rank's decile over the
    edition's national count (IoD 2019: 32,844 areas; 16,000 -> decile 5)."""
    imd = pd.DataFrame(
        {"imd_rank": [15_000.0, 17_000.0], "imd_decile": [5.0, 6.0],
         "income_rank": [1_000.0, 3_000.0], "income_decile": [1.0, 1.0]},
        index=["A", "B"],
    )  # fmt: skip
    imd.attrs["index"] = "IoD 2019"
    lookup = pd.DataFrame({"old": ["A", "B"], "new": ["N", "N"], "change": ["M", "M"]})
    out = deprivation_for(pd.Index(["N"]), imd, lookup)
    assert out.loc["N", "imd_rank"] == 16_000
    assert out.loc["N", "imd_decile"] == np.ceil(16_000 * 10 / 32_844) == 5
    assert out.loc["N", "income_decile"] == 1 and out.attrs["index"] == "IoD 2019"
