"""Property registers read as published: business rates (Kirklees, Calderdale), council
assets (Cheltenham, Devon) and NHS ERIC (2014/15, 2016/17). Expected values come from
the raw files read here another way (pandas or the csv module, column by column)."""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estate_planner import EstatePlannerError
from estate_planner.cli import main
from estate_planner.sources.registers import (
    REGISTER_KINDS,
    merge_registers,
    read_register,
)

ALL_USES = list(REGISTER_KINDS)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def property_data(shared_data: Path) -> Path:
    return shared_data / "property"


def raw_rows(path: Path, encoding: str) -> list[list[str]]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


@pytest.mark.rutland
def test_kirklees_business_rates(property_data: Path) -> None:
    path = property_data / "business_rates" / "kirklees_business_rates_2019.csv.gz"
    raw = pd.read_csv(path, encoding="cp1252", dtype=str, keep_default_na=False)
    # rows one cell short with a date under Longitude: everything from Latitude on
    # sits one column to the left, so their use is under "Liability start date"
    shifted = raw["Longitude"].str.match(DATE)
    shops = (raw.loc[~shifted, "Current Analysis Code Description"] == "Shops").sum() + (
        raw.loc[shifted, "Liability start date"] == "Shops"
    ).sum()
    empty_relief = raw["Current Relief Type"].isin(["EPRN", "EPRI"]) & ~shifted
    empty_relief |= raw["Rateable value"].isin(["EPRN", "EPRI"]) & shifted
    assert len(raw) == 15991 and shifted.sum() == 88
    assert (raw["Current Analysis Code Description"] == "Shops").sum() == 3628  # as published
    assert empty_relief.sum() - (raw["Current Relief Type"].isin(["EPRN", "EPRI"])).sum() == 2

    register = read_register(path, uses=ALL_USES)
    rows = register.frame
    assert register.format == "business_rates" and register.rows_read == 15991
    kept = raw.drop_duplicates("Property reference number")
    assert len(rows) == len(kept)
    assert register.repairs["missing cells put back where the row's values line up (row shifted)"] == 88
    first = ~raw["Property reference number"].duplicated()
    assert (rows["use"] == "Shops").sum() == (
        ((raw["Current Analysis Code Description"] == "Shops") & ~shifted & first).sum()
        + ((raw["Liability start date"] == "Shops") & shifted & first).sum()
    )
    assert shops == 3639
    # every row carrying an empty-property relief is available
    refs = set(raw.loc[empty_relief, "Property reference number"])
    assert len(refs) >= 459
    assert (rows.set_index("source_id").loc[sorted(refs), "available"] == 1.0).all()
    # rows with no usable coordinates are kept, unlocated, with the reason
    lat = pd.to_numeric(kept["Latitude"], errors="coerce")
    unusable = lat.isna() | (lat == 0)
    assert (~rows["located"]).sum() == unusable.sum()
    notes = rows.loc[~rows["located"], "note"].value_counts()
    assert set(notes.index) <= {"no coordinates", "coordinates are zero"}
    assert notes.get("coordinates are zero", 0) == (lat == 0).sum()
    # cost is the rateable value; no floor area is invented
    assert rows["floor_area_m2"].isna().all()
    values = pd.to_numeric(kept.set_index("Property reference number")["Rateable value"], errors="coerce")
    located_refs = rows.loc[~rows["source_id"].isin(set(kept.loc[shifted, "Property reference number"])), "source_id"]
    np.testing.assert_array_equal(
        rows.set_index("source_id").loc[located_refs, "annual_cost_gbp"].to_numpy(),
        values.loc[located_refs].where(values.loc[located_refs] > 0).to_numpy(),  # £0: not known
    )


@pytest.mark.rutland
def test_calderdale_business_rates(property_data: Path) -> None:
    path = property_data / "business_rates" / "calderdale_business_rates_2019.csv.gz"
    raw = raw_rows(path, "utf-8-sig")
    header, body = raw[0], raw[1:]
    occupied = header.index("Occupied")
    vacant_refs = {row[0] for row in body if len(row) > occupied and row[occupied] == "N"}
    assert len(vacant_refs) == 308
    longer = [row for row in body if len(row) > len(header)]
    assert len(longer) == 10  # a stray quote split the address over several cells

    register = read_register(path, uses=ALL_USES)
    rows = register.frame.set_index("source_id")
    assert register.rows_read == len(body) == 9347
    assert register.dropped.total() == 0 and len(rows) == 9347
    assert register.repairs["a cell split by a stray quote joined back"] == 10
    assert (rows.loc[sorted(vacant_refs), "available"] == 1.0).all()
    mended = rows.loc[[row[0] for row in longer]]
    assert not mended["address"].str.contains('"').any()
    # realigned: the rateable value is a number and the use is a description again
    assert mended["located"].all() and (mended["annual_cost_gbp"] > 0).all()
    assert mended["use"].str.contains(r"^[A-Z][a-z]+", regex=True).all()
    occupied_y = {row[0] for row in body if len(row) == len(header) and row[occupied] == "Y"}
    assert (rows.loc[sorted(occupied_y), "available"] == 0.0).all()


@pytest.mark.rutland
def test_cheltenham_assets_with_repeated_headers_and_cp1252(property_data: Path) -> None:
    path = property_data / "council_assets" / "cheltenham_land_and_assets_2021.csv"
    raw = raw_rows(path, "cp1252")
    header = raw[0]
    assert header.count("Organisation") == 2
    body = [dict(zip(["_" + h if i in (2, 3) else h for i, h in enumerate(header)], row, strict=True)) for row in raw[1:]]
    vacant = [r for r in body if r["TenureDetail"].strip().lower() == "vacant"]
    land_only = [r for r in body if r["HoldingType"] == "Land"]
    assert len(body) == 498 and len(vacant) == 13 and len(land_only) == 286

    everything = read_register(path, include_land=True)
    rows = everything.frame
    assert everything.rows_read == 498
    # the 13 vacant rows are 12 holdings: one row is repeated word for word
    assert rows["available"].eq(1.0).sum() == len({(r["UPRN"], r["AssetCode"]) for r in vacant}) == 12
    assert everything.dropped["the same site listed twice (first kept)"] == 4
    zeros = {r["UPRN"] for r in body if r["UPRN"].startswith("0")}
    assert zeros and set(rows.loc[rows["uprn"].str.startswith("0"), "uprn"]) == zeros
    assert rows["postcode"].str.contains("\n").sum() == 0
    default = read_register(path)
    assert default.dropped["land, not a building (include_land = true keeps it)"] == 286
    assert not default.frame["use"].eq("Land").any()


@pytest.mark.rutland
def test_devon_assets_floor_area_and_mangled_uprns(property_data: Path) -> None:
    path = property_data / "council_assets" / "devon_county_council_property_assets_2019-09.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    gia = pd.to_numeric(raw["BUILDING GIA"], errors="coerce")
    mangled = raw["NLPG"].str.contains("E+", regex=False)
    register = read_register(path, include_land=True)
    rows = register.frame.set_index("source_id")
    assert len(rows) == 880 and (gia > 0).sum() == 494
    assert rows["floor_area_m2"].notna().sum() == 494
    expected = gia[gia > 0].set_axis(raw.loc[gia > 0, "ASSET_ID"])
    np.testing.assert_array_equal(rows.loc[expected.index, "floor_area_m2"], expected)
    assert register.repairs["UPRN in scientific notation: not trusted, left blank"] == mangled.sum()
    flagged = rows.loc[raw.loc[mangled, "ASSET_ID"]]
    assert (flagged["uprn"] == "").all() and flagged["note"].str.contains("scientific notation").all()
    assert (rows.loc[raw.loc[~mangled & (raw["NLPG"] != ""), "ASSET_ID"], "uprn"] != "").all()


def eric_raw(path: Path) -> pd.DataFrame:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Site Data").to_python()
    frame = pd.DataFrame(rows[2:], columns=[str(c) for c in rows[1]])
    return frame[frame["Site Code"] != "AGGRE"]


@pytest.mark.rutland
@pytest.mark.parametrize(
    ("name", "sites", "gia", "spare"),
    [
        ("HospitalEstatesAndFacilitiesStatistics_13944.XLS", 1041, "Gross internal floor area (m²)",
         ["Floor area - empty (%)", "Floor area - under used (%)"]),
        ("HospitalEstatesAndFacilitiesStatistics_11120.XLS", 1116, "Gross internal site floor area (m²)",
         ["Un-utilised space (%)"]),
    ],
)  # fmt: skip
def test_eric_both_vintages(
    property_data: Path, shared_data: Path, name: str, sites: int, gia: str, spare: list[str]
) -> None:
    path = property_data / "eric" / name
    raw = eric_raw(path)
    hospitals = shared_data / "nhs_services" / "nhs_hospitals_england.csv.gz"
    register = read_register(path, locations=[hospitals])
    rows = register.frame.set_index("source_id")
    assert len(raw) == sites and len(rows) == sites
    floor = pd.to_numeric(raw[gia], errors="coerce")
    share = sum(pd.to_numeric(raw[c], errors="coerce").fillna(0) for c in spare)
    known = floor.notna() & (floor > 0)
    codes = raw.loc[known, "Site Code"]
    np.testing.assert_allclose(rows.loc[codes, "floor_area_m2"], floor[known])
    np.testing.assert_allclose(
        rows.loc[codes, "spare_floor_area_m2"], (floor[known] * share[known] / 100).round(0)
    )
    assert (raw[gia] == "Not Applicable").sum() == rows["floor_area_m2"].isna().sum() - (floor <= 0).sum()
    unlocated = rows[~rows["located"]]
    assert unlocated["note"].str.len().gt(0).all()  # every unlocated site says why


@pytest.mark.rutland
def test_rutland_memorial_hospital_is_located_in_rutland(
    property_data: Path, shared_data: Path, tmp_path: Path
) -> None:
    path = property_data / "eric" / "HospitalEstatesAndFacilitiesStatistics_13944.XLS"
    rutland = gpd.read_file(shared_data / "boundaries_rutland" / "rutland_lsoa21.geojson").to_crs(27700)
    hospitals = shared_data / "nhs_services" / "nhs_hospitals_england.csv.gz"
    register = read_register(path, locations=[hospitals], area=rutland.union_all())
    site = register.frame.set_index("source_id").loc["RT5PC"]
    # ERIC's trust (RT5) is not NHS.UK's (RWE): a name alone does not place it
    assert not site["located"] and site["name"] == "Rutland Memorial Hospital"
    assert "another trust" in site["note"] and "RWELR lies in the study area" in site["note"]
    # a located list naming its ERIC code places it
    places = Path(str(tmp_path)) / "places.csv"
    places.write_text("code,name,longitude,latitude\nRT5PC,Rutland Memorial,-0.73752,52.6708\n")
    register = read_register(path, locations=[places, hospitals], area=rutland.union_all())
    site = register.frame.set_index("source_id").loc["RT5PC"]
    point = gpd.GeoSeries(gpd.points_from_xy([site["longitude"]], [site["latitude"]]), crs=4326)
    assert rutland.union_all().contains(point.to_crs(27700).iloc[0])
    assert site["name"] == "Rutland Memorial Hospital" and site["floor_area_m2"] > 0


@pytest.mark.rutland
@pytest.mark.parametrize(
    "name",
    [
        "business_rates/kirklees_business_rates_2019.csv.gz",
        "business_rates/calderdale_business_rates_2019.csv.gz",
        "council_assets/cheltenham_land_and_assets_2021.csv",
        "council_assets/devon_county_council_property_assets_2019-09.csv",
        "eric/HospitalEstatesAndFacilitiesStatistics_13944.XLS",
        "eric/HospitalEstatesAndFacilitiesStatistics_11120.XLS",
    ],
)
def test_candidates_command_writes_a_list_that_reads_back(
    property_data: Path, shared_data: Path, tmp_path: Path, name: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    from estate_planner.scenario import CandidatesConfig
    from estate_planner.sources.estate import read_candidates

    out = tmp_path / "candidates.csv"
    hospitals = shared_data / "nhs_services" / "nhs_hospitals_england.csv.gz"
    args = ["candidates", str(property_data / name), "--out", str(out), "--locations", str(hospitals)]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "rows read" in said and "kept" in said and str(out) in said
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    for column in ("site_id", "name", "kind", "use", "floor_area_m2", "spare_floor_area_m2",
                   "annual_cost_gbp", "available", "longitude", "latitude", "located", "source",
                   "source_id", "address", "postcode", "uprn", "note"):  # fmt: skip
        assert column in written.columns
    assert set(written["available"]) <= {"true", "false", ""}
    assert (written.loc[written["located"] == "false", ["longitude", "latitude"]] == "").all().all()
    again, _ = read_candidates(CandidatesConfig(path=out))
    assert len(again) == (written["located"] == "true").sum()


def test_an_unrecognised_layout_exits_2_naming_the_columns(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mystery.csv"
    path.write_text("Ward,Councillor,Party\nNorth,A. Smith,Independent\n")
    assert main(["candidates", str(path), "--out", str(tmp_path / "c.csv")]) == 2
    err = capsys.readouterr().err
    assert "not recognised as a register layout" in err and "rateable value" in err
    assert "Found: Ward, Councillor, Party" in err and "Traceback" not in err


def test_the_same_building_in_two_registers_becomes_one() -> None:
    def row(**values: object) -> dict[str, object]:
        base = {"site_id": "", "name": "", "kind": "council", "use": "", "floor_area_m2": np.nan,
                "spare_floor_area_m2": np.nan, "annual_cost_gbp": np.nan, "available": np.nan,
                "longitude": -1.78, "latitude": 53.64, "located": True, "source": "", "source_id": "",
                "address": "", "postcode": "", "uprn": "", "note": ""}  # fmt: skip
        return {**base, **values}

    frame = pd.DataFrame(
        [
            row(site_id="rates-1", name="Shops, 5 High Street", source="rates.csv", uprn="100023",
                annual_cost_gbp=9000.0, available=1.0),
            row(site_id="asset-7", name="5 High Street", source="assets.csv", uprn="100023",
                floor_area_m2=210.0, latitude=53.641),
            # 14 m from the first, a similar name, no UPRN: the same building
            row(site_id="osm-8", name="Shops 5 High Street", source="OpenStreetMap",
                latitude=53.64012, floor_area_m2=180.0),
            # 110 m away, another name: another building
            row(site_id="rates-2", name="Office, 9 Mill Lane", source="rates.csv", latitude=53.641),
            # the same name 33 m away, but the rates list already has its row for the
            # building: one register's two entries are never merged, even through a third
            row(site_id="rates-3", name="Shops, 5 High Street", source="rates.csv", latitude=53.6404),
        ]
    )  # fmt: skip
    merged, count = merge_registers(frame)
    assert count == 2
    first = merged.set_index("site_id").loc["rates-1"]
    assert first["floor_area_m2"] == 210.0 and first["annual_cost_gbp"] == 9000.0
    assert "asset-7" in first["note"] and "osm-8" in first["note"]
    assert set(merged["site_id"]) == {"rates-1", "rates-2", "rates-3"}


HEADER = ["Property reference number", "Address", "Postcode", "Latitude", "Longitude",
          "Rateable value", "VOA description", "Occupied", "Empty from"]  # fmt: skip
CELL = st.one_of(
    st.sampled_from(["", "Not Applicable", "0", "0.0", "53.6", "-1.7", "2019-04-01", "Y", "N",
                     "Shop and Premises", '"', "1,250", "1.0004E+11", "£900", "n/a"]),
    st.text(max_size=8),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=12), min_size=1, max_size=12))
def test_no_rates_file_makes_the_reader_fail_without_a_clear_error(
    rows: list[list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("rates") / "rates.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        register = read_register(path, uses=ALL_USES)
    except EstatePlannerError as exc:  # the only exception allowed: a clear one
        message = str(exc)
    else:
        message = ""
    if message:
        assert str(path) in message
        return
    assert register.rows_read == sum(1 for row in rows if any(cell.strip() for cell in row))
    assert len(register.frame) + register.dropped.total() == register.rows_read


def test_eric_as_published_since_2017_csv(tmp_path: Path) -> None:
    """The CSV layout (Windows-1252, thousands separators, Not Applicable, a site listed
    twice), placed by code and by name in a locations file."""
    path = tmp_path / "ERIC - 2019_20 - Site data.csv"
    text = (
        "Trust Code,Trust Name,Site Code,Site Name,Site Type,Gross internal floor area (m²),"
        "Floor area - empty (%),Floor area - under used (%),"
        "Land area not delivering services (Hectares)\r\n"
        'RX1,A TRUST,AGGRE,AGGREGATE SITE,Aggregate Site,"12,000",1,2,0\r\n'
        'RX1,A TRUST,RX101,ST ELSEWHERE HOSPITAL,1. General acute hospital,"10,500",2,3,1.5\r\n'
        "RX1,A TRUST,RX102,MILL LANE CLINIC,5. Community hospital,Not Applicable,"
        "Not Applicable,Not Applicable,Not Applicable\r\n"
        'RX1,A TRUST,RX101,ST ELSEWHERE HOSPITAL,1. General acute hospital,"10,500",2,3,1.5\r\n'
    )
    path.write_bytes(text.encode("cp1252"))
    places = tmp_path / "places.csv"
    places.write_text(
        "OrganisationCode,OrganisationName,Latitude,Longitude,ParentODSCode\n"
        "RX101,St Elsewhere Hospital,52.6,-0.7,RX1\nZZ999,Mill Lane Clinic,52.61,-0.71,RX1\n"
    )
    register = read_register(path, locations=[places])
    rows = register.frame.set_index("source_id")
    assert register.format == "eric" and list(rows.index) == ["RX101", "RX102"]
    assert register.dropped["AGGRE rows (a trust's aggregate, not a site)"] == 1
    assert register.dropped["the same site listed twice (first kept)"] == 1
    assert rows.loc["RX101", "floor_area_m2"] == 10500
    assert rows.loc["RX101", "spare_floor_area_m2"] == round(10500 * 0.05)
    assert np.isnan(rows.loc["RX102", "floor_area_m2"]) and np.isnan(rows.loc["RX102", "spare_floor_area_m2"])
    assert rows.loc["RX101", "land_not_delivering_services_ha"] == 1.5
    assert rows["located"].all() and "located by name and trust" in rows.loc["RX102", "note"]


# NHS.UK's hospital list as published (its header; real rows of the St Mary's Hospitals)
HOSPITALS = (
    "OrganisationID,OrganisationCode,OrganisationType,SubType,Sector,OrganisationStatus,"
    "IsPimsManaged,OrganisationName,Address1,Address2,Address3,City,County,Postcode,Latitude,"
    "Longitude,ParentODSCode,ParentName,Phone,Email,Website,Fax\n"
    "60338,R1F01,Hospital,Hospital,NHS Sector,Visible,True,St Mary's Hospital,St. Mary's "
    "Hospital,Parkhurst Road,,Newport,Isle of Wight,PO30 5TG,50.71084594726562,"
    "-1.3013159036636353,R1F,Isle Of Wight NHS Trust,0300 300 2016,,https://www.iow.nhs.uk,\n"
    "40646,RGD17,Hospital,Hospital,NHS Sector,Visible,True,St Mary's Hospital,Green Hill Road,,,"
    "Leeds,West Yorkshire,LS12 3QE,53.79990768432617,-1.61238431930542,RGD,Leeds and York "
    "Partnership NHS Foundation Trust,0113 855 5000,pals.lypft@nhs.net,,\n"
    "42679,RWE10,Hospital,Hospital,NHS Sector,Visible,True,St Mary's Hospital,Leicestershire "
    "County and Rutland PCT,Thorpe Road,,Melton Mowbray,Leicestershire,LE13 1SJ,"
    "52.76593780517578,-0.8772811889648438,RWE,University Hospitals Of Leicester NHS Trust,"
    "01664 854800,,,\n"
)
# ERIC's CSV layout; the site rows of 2016/17 whose codes the list above lacks, and an
# island site whose code changed (R1F01 -> R1F0X) but whose trust did not
ERIC_ST_MARYS = (
    "Trust Code,Trust Name,Site Code,Site Name,Site Type,Gross internal floor area (m²),"
    "Floor area - empty (%),Floor area - under used (%)\r\n"
    "RHU,PORTSMOUTH HOSPITALS NHS TRUST,RHU02,ST MARY'S HOSPITAL,"
    '7. Community hospital (with inpatient beds),"3,292",0,0\r\n'
    "RJ8,CORNWALL PARTNERSHIP NHS FOUNDATION TRUST,RJ809,ST MARY'S HOSPITAL,"
    "7. Community hospital (with inpatient beds),993,0,0\r\n"
    "RYJ,IMPERIAL COLLEGE HEALTHCARE NHS TRUST,RYJ0Z,ST MARY'S HOSPITAL,"
    '1. General acute hospital,"87,975",1.5,0\r\n'
    "R1F,ISLE OF WIGHT NHS TRUST,R1F0X,ST MARY'S HOSPITAL,1. General acute hospital,"
    '"52,882",0,0\r\n'
)


def test_eric_sites_are_placed_by_name_only_on_their_own_trusts_place(tmp_path: Path) -> None:
    """Issue 28 item 1: three mainland St Mary's Hospitals were put on the island's."""
    import shapely

    eric = tmp_path / "ERIC - 2016_17 - Site data.csv"
    eric.write_bytes(ERIC_ST_MARYS.encode("cp1252"))
    hospitals = tmp_path / "Hospital.csv"
    hospitals.write_text(HOSPITALS, encoding="utf-8")
    island = shapely.box(428_000, 75_000, 462_000, 97_000)  # the Isle of Wight in BNG
    register = read_register(eric, locations=[hospitals], area=island)
    rows = register.frame.set_index("source_id")
    # the island's own trust's site is placed on its trust's St Mary's
    assert rows.loc["R1F0X", "located"]
    assert (rows.loc["R1F0X", "longitude"], rows.loc["R1F0X", "latitude"]) == pytest.approx(
        (-1.3013159036636353, 50.71084594726562)
    )
    assert "R1F01" in rows.loc["R1F0X", "note"] and "trust R1F" in rows.loc["R1F0X", "note"]
    # the mainland ones are left out, never guessed, and each says why
    for code in ("RHU02", "RJ809", "RYJ0Z"):
        assert not rows.loc[code, "located"], code
        assert np.isnan(rows.loc[code, "longitude"])
        assert "another trust" in rows.loc[code, "note"] and "R1F01" in rows.loc[code, "note"]
    # names are title-cased as names are written
    assert rows.loc["R1F0X", "name"] == "St Mary's Hospital"
    assert rows.loc["RHU02", "address"] == "Portsmouth Hospitals NHS Trust"


def _demo_copy(demo_dir: Path, folder: Path) -> Path:
    import shutil

    shutil.copytree(demo_dir, folder)
    return folder / "scenario.toml"


ERIC_CSV_HEADER = (
    "Trust Code,Trust Name,Site Code,Site Name,Site Type,Gross internal floor area (m²),"
    "Floor area - empty (%),Floor area - under used (%)\r\n"
)


def test_two_eric_years_merge_by_site_code_latest_first(demo_dir: Path, tmp_path: Path) -> None:
    """Issue 28 item 4: two ERIC years failed with "site ids repeat"."""
    from estate_planner import load_scenario
    from estate_planner.stages.inputs import read_inputs

    scenario = _demo_copy(demo_dir, tmp_path / "demo")
    folder = scenario.parent
    (folder / "ERIC - 2016_17 - Site data.csv").write_bytes((ERIC_CSV_HEADER + (
        'RX1,A TRUST,RX101,EASTMERE COMMUNITY HOSPITAL,7. Community hospital,"2,100",5,5\r\n'
        "RX1,A TRUST,RX102,MILL LANE CLINIC,5. Community hospital,800,10,0\r\n"
    )).encode("cp1252"))  # fmt: skip
    (folder / "ERIC - 2017_18 - Site data.csv").write_bytes((ERIC_CSV_HEADER + (
        "RX1,A TRUST,RX101,EASTMERE COMMUNITY HOSPITAL,7. Community hospital,Not Applicable,"
        "Not Applicable,Not Applicable\r\n"
        'RX1,A TRUST,RX103,EASTMERE HEALTH CENTRE,5. Community hospital,"1,200",0,20\r\n'
    )).encode("cp1252"))  # fmt: skip
    (folder / "eric_places.csv").write_text(
        "code,name,longitude,latitude\nRX101,Eastmere Community Hospital,-0.6913,52.5560\n"
        "RX102,Mill Lane Clinic,-0.6950,52.5530\nRX103,Eastmere Health Centre,-0.6890,52.5545\n"
    )
    with scenario.open("a") as handle:  # the later year listed first: order must not matter
        for name in ("ERIC - 2017_18 - Site data.csv", "ERIC - 2016_17 - Site data.csv"):
            handle.write(f'\n[[candidates.registers]]\npath = "{name}"\n'
                         'locations = ["eric_places.csv"]\n')  # fmt: skip
    with pytest.warns(UserWarning, match="merged 1 sites listed in 2 years"):
        inputs = read_inputs(load_scenario(scenario))
    rows = inputs.candidates.set_index("site_id")
    assert {"eric-RX101", "eric-RX102", "eric-RX103"} <= set(rows.index)
    # 2017/18 wins; its blank floor area is filled from 2016/17, and the note says so
    assert rows.loc["eric-RX101", "floor_area_m2"] == 2100
    assert rows.loc["eric-RX101", "spare_floor_area_m2"] == 210
    note = rows.loc["eric-RX101", "note"]
    assert "fields from 2017/18" in note and "floor_area_m2" in note and "from 2016/17" in note
    assert rows.loc["eric-RX102", "floor_area_m2"] == 800  # only in the earlier year


def test_corrections_place_a_site_by_hand_and_report_one_that_no_longer_exists(
    demo_dir: Path, tmp_path: Path
) -> None:
    """Issue 28 item 12: a team's corrections, kept when the register is republished."""
    from estate_planner import load_scenario
    from estate_planner.stages.inputs import read_inputs

    scenario = _demo_copy(demo_dir, tmp_path / "demo")
    folder = scenario.parent
    (folder / "ERIC - 2017_18 - Site data.csv").write_bytes((ERIC_CSV_HEADER + (
        'RX1,A TRUST,RX101,EASTMERE COMMUNITY HOSPITAL,7. Community hospital,"2,100",5,5\r\n'
    )).encode("cp1252"))  # fmt: skip
    (folder / "corrections.csv").write_text(
        "site_id,longitude,latitude,kind,available,floor_area_m2,by,on,note\n"
        "eric-RX101,-0.6913,52.5560,,,,J. Smith (estates),2025-03-14,surveyed\n"
        "RT002,,,,true,,J. Smith (estates),2025-03-20,actually available since March\n"
        "eric-RX999,-0.70,52.55,,,,J. Smith (estates),2024-02-01,closed in 2024\n"
    )
    text = scenario.read_text().replace(
        'town_centres = "town_centre.geojson"\n',
        'town_centres = "town_centre.geojson"\ncorrections_file = "corrections.csv"\n',
    )
    text += '\n[[candidates.registers]]\npath = "ERIC - 2017_18 - Site data.csv"\n'
    scenario.write_text(text)
    with pytest.warns(UserWarning, match=r"dropped 1 corrections .*eric-RX999"):
        inputs = read_inputs(load_scenario(scenario))
    rows = inputs.candidates.set_index("site_id")
    # the ERIC site has no place in any list: the correction places it
    assert "eric-RX101" in rows.index
    point = gpd.GeoSeries([rows.loc["eric-RX101", "geometry"]], crs=27700).to_crs(4326).iloc[0]
    assert (point.x, point.y) == pytest.approx((-0.6913, 52.5560))
    assert "placed by hand" in rows.loc["eric-RX101", "note"]
    assert "J. Smith (estates) on 2025-03-14" in rows.loc["eric-RX101", "note"]
    # the property list's RT002 says "no"; the team says it is available
    assert rows.loc["RT002", "available"] == 1.0
    assert "actually available since March" in rows.loc["RT002", "note"]
    record = next(r for r in inputs.provenance if r.key == "candidates.corrections")
    assert record.counts["applied"] == 2
    assert record.counts["not applied: no candidate has the site id"] == 1


# A council's 2023 asset register as published: its header (GeoX/GeoY in British
# National Grid), its holding types ("Public Conveinences" [sic]) and tenure details
ASSETS_2023 = (
    "Organisation,Organisation Label,UPRN,AssetCode,Site Address,GeoX,GeoY,TenureType,"
    "Tenure Detail,Holding Type\r\n"
    "E06000046,Isle of Wight Council,100060755291,A0001,\"County Hall, High Street, Newport, "
    "PO30 1UD\",449877,89030,Freehold,Occupied by local authority,Commercial\r\n"
    "E06000046,Isle of Wight Council,10024249520,A0002,\"Former Library, Lugley Street, "
    "Newport\",449502,89200,Freehold,Vacant,Community Buildings\r\n"
    "E06000046,Isle of Wight Council,100060749999,A0003,\"Old Clinic, Carisbrooke Road, "
    "Newport\",449300,88800,Freehold,Occupied by local authority,Buildings Declared Surplus\r\n"
    "E06000046,Isle of Wight Council,,A0004,\"Land at Pan Lane, Newport\",450500,88500,"
    "Freehold,Vacant,Land Declared Surplus\r\n"
    "E06000046,Isle of Wight Council,,A0005,\"Mayoral Chain, County Hall, Newport\",449877,"
    "89030,Freehold,Occupied by local authority,Civic Regalia\r\n"
    "E06000046,Isle of Wight Council,,A0006,\"Sculpture, The Quay, Newport\",449990,89400,"
    "Freehold,Occupied by local authority,Art\r\n"
    "E06000046,Isle of Wight Council,,A0007,\"Coppins Bridge, Newport\",450100,89100,Freehold,"
    "Occupied by local authority,Bridges\r\n"
    "E06000046,Isle of Wight Council,,A0008,\"Home Farm, Gatcombe\",447000,85000,Freehold,"
    "Leasehold,Farmland and Farms\r\n"
    "E06000046,Isle of Wight Council,,A0009,\"Public Toilets, Church Litten, Newport\",449700,"
    "88900,Freehold,Occupied by local authority,Public Conveinences\r\n"
    "E06000046,Isle of Wight Council,,A0010,\"Car Park, Church Litten, Newport\",449720,88920,"
    "Freehold,Licence,Car Parks\r\n"
    "E06000046,Isle of Wight Council,100060755300,A0011,\"Unit 3, Riverway, Newport\",450300,"
    "89600,Freehold,Leasehold,Commercial\r\n"
)


def test_a_councils_2023_asset_register_keeps_buildings_with_their_addresses(
    tmp_path: Path,
) -> None:
    """Issue 28 item 5: blank names and addresses, regalia and bridges kept as
    candidates, buildings declared surplus read as not available."""
    path = tmp_path / "Land_and_Assets_2023.csv"
    path.write_bytes(ASSETS_2023.encode("cp1252"))
    register = read_register(path)
    rows = register.frame.set_index("source_id")
    assert register.format == "council_assets"
    assert sorted(rows.index) == ["A0001", "A0002", "A0003", "A0011"]
    assert rows.loc["A0002", "address"] == "Former Library, Lugley Street, Newport"
    assert (rows["name"] != "").all() and (rows["address"] != "").all()
    assert rows.loc["A0002", "available"] == 1.0  # vacant
    assert rows.loc["A0003", "available"] == 1.0  # declared surplus
    assert rows.loc["A0001", "available"] == 0.0 and rows.loc["A0011", "available"] == 0.0
    assert rows.loc["A0001", "uprn"] == "100060755291" and rows["located"].all()
    for kind in ("Civic Regalia", "Art", "Bridges", "Farmland and Farms", "Public Conveinences"):
        assert register.dropped[f"asset type {kind!r}: not a building a hub could use"] == 1, kind
    assert register.dropped["land, not a building (include_land = true keeps it)"] == 2


# Another council's business-rates layout as published (note "Ratepayer " with its
# trailing space, "BA ReferenceNumber" run together, Occupied Y/N, a £0 value)
RATES_LAYOUT = (
    "BA ReferenceNumber,Ratepayer ,Address,Postcode,Latitude,Longitude,Occupied,"
    "Liability start date,Rateable value,Relief total,Relief small business rates,"
    "Mandatory Relief,Relief discretionary,Top Up Discretionary Relief,Exempt Property,"
    "Transition 2018/19,VOA description\r\n"
    "00012345000100,Island Pharmacy Ltd,\"12 High Street, Newport\",PO30 1SS,50.7002,-1.2937,Y,"
    "2017-04-01,\"14,250\",0,0,0,0,0,N,0,Shop and Premises\r\n"
    "00012345000200,,\"Unit 2, Church Litten, Newport\",PO30 1JZ,50.7001,-1.2921,N,2019-10-01,"
    "\"8,100\",0,0,0,0,0,N,0,Shop and Premises\r\n"
    "00012345000300,Isle of Wight Council,\"Former Youth Centre, Pyle Street, Newport\",PO30 1XB,"
    "50.7005,-1.2950,N,2020-01-06,0,0,0,0,0,0,Y,0,Community Centre and Premises\r\n"
    "00012345000400,A Dentist,\"3 Quay Street, Newport\",PO30 5BB,50.7010,-1.2900,Y,2015-04-01,"
    "\"22,000\",0,0,0,0,0,N,0,Surgery and Premises\r\n"
)


@pytest.mark.parametrize("how", ["auto", "format and columns"])
def test_another_business_rates_layout_with_its_quirks(tmp_path: Path, how: str) -> None:
    """Issue 28 items 6 and 9: the layout was not recognised, and a £0 rateable value
    read as a cost of nothing."""
    path = tmp_path / "NNDR_list_2023.csv"
    path.write_bytes(RATES_LAYOUT.encode("cp1252"))
    out = tmp_path / "candidates.csv"
    extra = [] if how == "auto" else ["--format", "business_rates", "--columns", "name=Ratepayer"]
    assert main(["candidates", str(path), "--out", str(out), *extra]) == 0
    rows = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("source_id")
    assert list(rows.index) == ["00012345000100", "00012345000200", "00012345000300",
                                "00012345000400"]  # fmt: skip
    assert rows.loc["00012345000100", "annual_cost_gbp"] == "14250"
    assert rows.loc["00012345000300", "annual_cost_gbp"] == ""  # £0: not known
    assert rows.loc["00012345000100", "available"] == "false"  # Occupied = Y
    assert rows.loc["00012345000200", "available"] == "true"  # Occupied = N
    assert rows.loc["00012345000300", "available"] == "true"  # exempt: empty
    assert (rows["located"] == "true").all()
    if how != "auto":
        assert rows.loc["00012345000100", "name"] == "Island Pharmacy Ltd"
        assert rows.loc["00012345000200", "name"] == "Shop and Premises, Unit 2"


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-16", "\t"), ("cp1252", ";")],
    ids=["Unicode text", "CSV semicolon"],
)
def test_other_exports_of_the_same_list_read_the_same(
    tmp_path: Path, encoding: str, separator: str
) -> None:
    """Issue 28 item 11: Excel's "Unicode text" (UTF-16 with a byte-order mark, tabs)
    and a semicolon-separated CSV were "not recognised as a register layout"."""
    rows = list(csv.reader(io.StringIO(RATES_LAYOUT)))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "NNDR_list_2023.txt"
    path.write_bytes(buffer.getvalue().encode(encoding))  # "utf-16" writes the BOM
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff") or encoding != "utf-16"
    original = tmp_path / "NNDR_list_2023.csv"
    original.write_bytes(RATES_LAYOUT.encode("cp1252"))
    expected = read_register(original).frame.drop(columns="source")
    register = read_register(path)
    assert register.format == "business_rates"
    pd.testing.assert_frame_equal(register.frame.drop(columns="source"), expected)


def test_a_registers_availability_says_its_source_and_year(tmp_path: Path) -> None:
    """Availability in three states (available, not available, not known), each known
    one with the register it came from and the register's year."""
    from estate_planner.sources.registers import register_candidates

    path = tmp_path / "NNDR_list_2023.csv"
    path.write_bytes(RATES_LAYOUT.encode("cp1252"))
    frame, _ = register_candidates(read_register(path), "candidates.registers[0]")
    rows = frame.set_index("source_id")
    assert rows.loc["00012345000200", "available"] == 1.0
    assert rows.loc["00012345000200", "availability_source"] == (
        "NNDR_list_2023.csv (business rates) says vacant, empty or surplus"
    )
    assert rows.loc["00012345000100", "availability_source"].endswith("says occupied or let")
    assert (rows["availability_date"] == "2023").all()
