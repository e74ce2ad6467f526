"""NHS Digital registration files read as published (both column vintages)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from estate_planner._errors import InputDataError
from estate_planner.sources.registrations import (
    read_lsoa_registrations,
    read_practice_lists,
    read_practice_registrations,
)

NEW_HEADER = (
    "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,"
    "POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
)
OLD_HEADER = (
    "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
)


def test_current_vintage_with_breakdown_rows(tmp_path: Path) -> None:
    path = tmp_path / "gp-reg-pat-prac-all.csv"
    path.write_bytes(
        (
            "\ufeff" + NEW_HEADER + "\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,GP,16C,E38000247,A81002,TS18 2AW,ALL,ALL,18654\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,GP,16C,E38000247,A81002,TS18 2AW,MALE,ALL,9100\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,GP,16C,E38000247,A81002,TS18 2AW,ALL,0_4,800\r\n"
            + NEW_HEADER
            + "\r\n"  # a header repeated inside the data
            "GP_PRAC_PAT_LIST,2026-04-01,GP,16C,E38000247,a81001,ts18 1hu,ALL,ALL,3747\r\n"
        ).encode()
    )
    frame, record = read_practice_registrations(path)
    assert frame.to_dict("records") == [
        {"practice_code": "A81001", "postcode": "TS18 1HU", "area_code": "16C",
         "extract_date": dt.date(2026, 4, 1), "patients": 3747},
        {"practice_code": "A81002", "postcode": "TS18 2AW", "area_code": "16C",
         "extract_date": dt.date(2026, 4, 1), "patients": 18654},
    ]  # fmt: skip
    assert record.counts["dropped: SEX not ALL (a breakdown, not a total)"] == 1
    assert record.counts["dropped: AGE not ALL (a breakdown, not a total)"] == 1
    assert record.rows_used == 2


def test_older_vintage_ccg_columns_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "old.csv.gz"
    with gzip.open(path, "wt", newline="") as out:
        out.write(OLD_HEADER + "\r\n")
        out.write("GP_PRAC_PAT_LIST,01JAN2021,GP,03W,E38000051,C82010,LE15 6NT,ALL,ALL,15938\r\n")
    frame, _ = read_practice_registrations(path)
    row = frame.iloc[0]
    assert (row.practice_code, row.area_code, row.patients) == ("C82010", "03W", 15938)
    assert row.extract_date == dt.date(2021, 1, 1)


def test_wrong_file_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("PUBLICATION,EXTRACT_DATE,CODE,PATIENTS\nX,2026-04-01,A1,3\n")
    with pytest.raises(InputDataError, match="NUMBER_OF_PATIENTS"):
        read_practice_registrations(path)


def test_bad_count_names_the_practice(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(NEW_HEADER + "\nP,2026-04-01,GP,16C,E38,A81001,TS1,ALL,ALL,lots\n")
    with pytest.raises(InputDataError, match="A81001"):
        read_practice_registrations(path)


def test_bad_date_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(NEW_HEADER + "\nP,April 2026,GP,16C,E38,A81001,TS1,ALL,ALL,5\n")
    with pytest.raises(InputDataError, match="01JAN2021"):
        read_practice_registrations(path)


def test_lsoa_breakdown_as_published(tmp_path: Path) -> None:
    path = tmp_path / "gp-reg-pat-prac-lsoa-all.csv"
    # the 2021 file wrote its count column "Number of Patients" and dates 04JAN2021
    path.write_text(
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,Number of Patients\n"
        "GP_PRAC_PAT_LIST,04JAN2021,A81001,THE DENSHAM SURGERY,E01011959,ALL,7\n"
        'GP_PRAC_PAT_LIST,04JAN2021,A81001,THE DENSHAM SURGERY,E01012070,ALL,"1,204"\n'
        "GP_PRAC_PAT_LIST,04JAN2021,A81001,THE DENSHAM SURGERY,NO2011,ALL,12\n"
        "GP_PRAC_PAT_LIST,04JAN2021,A81001,THE DENSHAM SURGERY,E01011959,MALE,3\n"
        "GP_PRAC_PAT_LIST,04JAN2021,C82010,OAKHAM MEDICAL PRACTICE,E01013376,ALL,611\n",
        encoding="cp1252",
    )
    frame, record = read_lsoa_registrations(path)
    assert frame[["practice_code", "lsoa_code", "patients"]].values.tolist() == [
        ["A81001", "E01011959", 7],
        ["A81001", "E01012070", 1204],
        ["C82010", "E01013376", 611],
    ]
    assert set(frame["extract_date"]) == {dt.date(2021, 1, 4)}
    assert record.counts["dropped: LSOA_CODE NO2011 (no LSOA)"] == 1
    assert record.counts["dropped: SEX not ALL (a breakdown, not a total)"] == 1


@pytest.mark.rutland
def test_real_national_file_and_rutland(shared_data: Path) -> None:
    folder = shared_data / "nhs_services"
    frame, _ = read_practice_registrations(folder / "gp-reg-pat-prac-all_2026-04.csv.gz")
    # PROVENANCE.md: 6,168 practices, 63,673,685 patients, 106 sub-ICB locations
    assert len(frame) == 6168
    assert frame["patients"].sum() == 63_673_685
    assert frame["area_code"].nunique() == 106
    rutland = frame.set_index("practice_code").loc[["C82010", "C82044", "C82077", "C82649"]]
    assert rutland["patients"].tolist() == [14977, 9443, 12687, 5807]
    assert rutland["patients"].sum() == 42_914
    old, _ = read_practice_registrations(folder / "gp-reg-pat-prac-all_2021-01_rutland_rows.csv")
    assert len(old) == 4
    assert set(old["extract_date"]) == {dt.date(2021, 1, 1)}
    assert old.set_index("practice_code").loc["C82010", "patients"] == 15938


@pytest.mark.rutland
def test_london_list_sizes(shared_data: Path) -> None:
    frame, _ = read_practice_lists(
        shared_data / "nhs_services" / "gp_practices_london_geocoded_list_size.csv.gz"
    )
    assert len(frame) == 1196
    lists = frame.set_index("practice_code")["patients"]
    assert lists["E83003"] == 5994 and lists["E83005"] == 12102
    assert frame["latitude"].between(51.2, 51.8).all()


def test_lsoa_breakdown_current_vintage(tmp_path: Path) -> None:
    path = tmp_path / "gp-reg-pat-prac-lsoa-all.csv"
    path.write_bytes(
        (
            "\ufeffPUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,"
            "NUMBER_OF_PATIENTS\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,C82010,OAKHAM MEDICAL PRACTICE,E01013376,ALL,611\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,C82010,OAKHAM MEDICAL PRACTICE,E01013376,MALE,300\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,C82010,OAKHAM MEDICAL PRACTICE,E01013376,FEMALE,311\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,c82010,OAKHAM MEDICAL PRACTICE,w01000001,ALL,2\r\n"
            "GP_PRAC_PAT_LIST,2026-04-01,C82010,OAKHAM MEDICAL PRACTICE,NO2021,ALL,4\r\n"
        ).encode()
    )
    frame, record = read_lsoa_registrations(path)
    assert frame[["practice_code", "lsoa_code", "patients"]].values.tolist() == [
        ["C82010", "E01013376", 611],
        ["C82010", "W01000001", 2],
    ]
    assert set(frame["extract_date"]) == {dt.date(2026, 4, 1)}
    assert record.counts["dropped: SEX not ALL (a breakdown, not a total)"] == 2
    assert record.counts["dropped: LSOA_CODE NO2021 (no LSOA)"] == 1
