from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estate_planner import InputDataError
from estate_planner.scenario import CandidatesConfig, ServiceConfig
from estate_planner.sources.areas import (
    deprivation_for,
    read_deprivation,
    read_lookup,
    read_population,
)
from estate_planner.sources.estate import read_candidates, read_services


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_census_long_layout(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        "lsoa21_code,lsoa21_name,age_group,usual_residents\n"
        "E1,a,Aged 15 years and under,100\nE1,a,Aged 65 years and over,40\n"
        "E2,b,Aged 50 to 64 years,70\nE2,b,Aged 65 years and over,30\n",
    )
    table, record = read_population(path, "LSOA21CD")
    assert table.loc["E1"].tolist() == [140, 40]
    assert table.loc["E2"].tolist() == [100, 30]
    assert record.rows_read == 4


def test_mid_year_layout_with_thousands_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "\ufeffLAD 2021 Code,LSOA 2021 Code,Total,F65 and over,M65 and over\n"
        'X,E1,"1,854",182,132\n',
        encoding="utf-8",
    )
    table, _ = read_population(path, "LSOA21CD")
    assert table.loc["E1"].tolist() == [1854, 314]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id,population,age_65_plus\nE1,,10\n", "blank population for area"),
        ("id,population,age_65_plus\nE1,-5,0\n", "negative population"),
        ("id,population,age_65_plus\nE1,10,20\n", "more people aged 65\\+ than in total"),
        ("id,population,age_65_plus\nE1,ten,2\n", "must hold numbers; found text in id E1"),
        ("id,population,age_65_plus\nE1,5,2\nE1,6,1\n", "repeated: E1"),
        ("id,people\nE1,5\n", "no population column"),
    ],
)
def test_bad_population_rows_are_named(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        read_population(write(tmp_path, "p.csv", body), "LSOA21CD")


def test_imd_file_1_and_bad_deciles(tmp_path: Path) -> None:
    header = (
        "LSOA code (2011),LSOA name (2011),Index of Multiple Deprivation (IMD) Rank,"
        "Index of Multiple Deprivation (IMD) Decile\n"
    )
    table, _ = read_deprivation(write(tmp_path, "i.csv", header + 'E1,a,"29,199",9\n'), "x")
    assert table.loc["E1", ["imd_decile", "imd_rank"]].tolist() == [9, 29199]
    with pytest.raises(InputDataError, match="whole numbers 1 .* found E1 \\(11"):
        read_deprivation(write(tmp_path, "j.csv", header + "E1,a,5,11\n"), "x")


def test_lookup_split_and_merge(tmp_path: Path) -> None:
    imd = pd.DataFrame(
        {"imd_decile": [2.0, 9.0, 1.0], "imd_rank": [5000.0, 30000.0, 100.0]},
        index=["OLD1", "OLD2", "OLD3"],
    )
    lookup, _ = read_lookup(
        write(
            tmp_path,
            "l.csv",
            "LSOA11CD,LSOA21CD,CHGIND\nOLD1,NEW1A,S\nOLD1,NEW1B,S\nOLD2,NEWM,M\nOLD3,NEWM,M\n",
        )
    )
    out = deprivation_for(pd.Index(["NEW1A", "NEW1B", "NEWM", "OLD2", "NONE"]), imd, lookup)
    assert out.loc["NEW1A"].tolist() == [2.0, 5000.0]  # split: the parent's IMD
    assert out.loc["NEW1B"].tolist() == [2.0, 5000.0]
    # merged: mean rank 15050 -> decile ceil(15050 * 10 / 32844) = 5
    assert out.loc["NEWM"].tolist() == [5.0, 15050.0]
    assert out.loc["OLD2", "imd_decile"] == 9.0
    assert out.loc["NONE"].isna().all()


EPRACCUR = (
    "organisation_code,name,status_code,prescribing_setting,latitude,longitude\n"
    "A1,ONE,A,4,52.6,-0.7\nA2,CLOSED,C,4,52.6,-0.7\nA3,OOH,A,8,52.6,-0.7\nA4,NOWHERE,A,4,,\n"
)


def test_services_keep_active_gp_practices_and_say_what_was_dropped(tmp_path: Path) -> None:
    config = ServiceConfig(path=write(tmp_path, "gp.csv", EPRACCUR), kind="gp")
    with pytest.warns(UserWarning, match="dropped") as caught:
        services, record = read_services(config, "services[0].path")
    assert services["service_id"].tolist() == ["A1"]
    text = " ".join(str(w.message) for w in caught)
    assert "A2" in text and "A3" in text and "A4" in text
    assert len(record.dropped) == 3
    assert services.crs.to_epsg() == 27700


def test_swapped_coordinates_are_caught(tmp_path: Path) -> None:
    body = "site_id,name,kind,latitude,longitude\nS1,x,retail,-0.7,52.6\n"
    with pytest.raises(InputDataError, match="look swapped"):
        read_candidates(CandidatesConfig(path=write(tmp_path, "c.csv", body)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "site_id,name,kind,longitude,latitude\nS1,a,retail,-0.7,52.6\nS1,b,nhs,-0.7,52.6\n",
            "repeated: S1",
        ),
        (
            "site_id,name,kind,longitude,latitude\nS1,a,warehouse,-0.7,52.6\n",
            "must be one of retail",
        ),
        ("site_id,name,longitude,latitude\nS1,a,-0.7,52.6\n", "no kind column"),
        ("site_id,name,kind\nS1,a,retail\n", "no location columns"),
        (
            "site_id,name,kind,longitude,latitude,available\nS1,a,retail,-0.7,52.6,maybe\n",
            "true or false",
        ),
        (
            "site_id,name,kind,easting,northing,floor_area_m2\nS1,a,retail,480000,300000,-5\n",
            "cannot be negative",
        ),
    ],
)
def test_bad_candidates_are_named(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        read_candidates(CandidatesConfig(path=write(tmp_path, "c.csv", body)))


def test_candidate_columns_can_be_mapped_and_eastings_used(tmp_path: Path) -> None:
    body = "UPRN,Address,Use,E,N,Rent\n10,1 High St,retail,480000,300000,12000\n"
    config = CandidatesConfig(
        path=write(tmp_path, "c.csv", body),
        columns={
            "site_id": "UPRN",
            "name": "Address",
            "kind": "Use",
            "easting": "E",
            "northing": "N",
            "annual_cost_gbp": "Rent",
        },
    )
    frame, _ = read_candidates(config)
    assert frame.loc[0, "site_id"] == "10"
    assert frame.loc[0, "annual_cost_gbp"] == 12000
    assert (frame.geometry.x[0], frame.geometry.y[0]) == (480000, 300000)


def test_vector_file_without_crs_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.geojson",
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"site_id":"S1","name":"a","kind":"retail"},'
        '"geometry":{"type":"Point","coordinates":[480000,300000]}}]}',
    )
    # GeoJSON is WGS84 by definition; a shapefile without .prj is the real case
    import geopandas as gpd

    frame = gpd.read_file(path).set_crs(None, allow_override=True)
    shp = tmp_path / "c.shp"
    frame.to_file(shp)
    (tmp_path / "c.prj").unlink(missing_ok=True)
    with pytest.raises(InputDataError, match="no coordinate reference system"):
        read_candidates(CandidatesConfig(path=shp))


def test_epraccur_rows_are_placed_by_postcode(tmp_path: Path) -> None:
    gp = write(tmp_path, "gp.csv", "organisation_code,name,status_code,prescribing_setting,postcode\n"
               "A1,ONE,A,4,LE15 6NT\nA2,TWO,A,4,le156nt\nA3,LOST,A,4,ZZ99 9ZZ\n")  # fmt: skip
    lookup = write(
        tmp_path, "onspd.csv", "pcds,lat,long\nLE15 6NT,52.6709,-0.7401\nLE15 8PR,52.66,-0.59\n"
    )
    config = ServiceConfig(path=gp, kind="gp", postcodes=lookup)
    with pytest.warns(UserWarning, match="no coordinates"):
        services, _ = read_services(config, "services[0].path")
    assert services["service_id"].tolist() == ["A1", "A2"]  # spaces and case do not matter
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(-0.7401, 52.6709)
    assert services.geometry.x.iloc[0] == pytest.approx(x) and services.geometry.y.iloc[
        0
    ] == pytest.approx(y)


def test_blank_site_ids_are_named_by_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "site_id,name,kind,longitude,latitude\nA1,a,retail,-0.7,52.6\n,b,retail,-0.7,52.6\n"
        ",c,nhs,-0.7,52.6\n"
    )
    with pytest.raises(InputDataError, match=r"blank on row\(s\) 3, 4; give each property an id"):
        read_candidates(CandidatesConfig(path=path))


@pytest.mark.rutland
def test_iod_file_2_reads_as_file_1_does(shared_data: Path) -> None:
    """File 2's headers carry "(where 1 is most deprived ...)"; its IMD is File 1's."""
    folder = shared_data / "imd2019"
    one, _ = read_deprivation(folder / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz", "x")
    two, _ = read_deprivation(folder / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", "x")
    london, _ = read_deprivation(folder / "IoD2019_scores_ranks_deciles_London_only.csv.gz", "x")
    assert len(one) == len(two) == 32844 and len(london) == 4835
    imd = ["imd_decile", "imd_rank"]
    pd.testing.assert_frame_equal(one[imd], two[imd], check_dtype=False)
    pd.testing.assert_frame_equal(london[imd], one.loc[london.index, imd], check_dtype=False)
    domains = ["income_decile", "health_decile", "barriers_decile", "barriers_rank"]
    assert two[domains].notna().all().all() and one[domains].isna().all().all()
    pd.testing.assert_frame_equal(london[domains], two.loc[london.index, domains], check_dtype=False)


def test_a_decile_is_never_offered_a_rank(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "imd.csv",
        "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank,IMD decile band\nE1,5,1\n",
    )
    with pytest.raises(InputDataError) as caught:
        read_deprivation(path, "LSOA21CD")
    assert "no IMD decile column" in str(caught.value)
    assert "did you mean 'Index of Multiple Deprivation (IMD) Rank'" not in str(caught.value)


def test_population_and_deprivation_columns_can_be_mapped(tmp_path: Path) -> None:
    imd = write(tmp_path, "imd.csv", "Area,Band\nE1,2\nE2,10\n")
    table, _ = read_deprivation(imd, "LSOA21CD", columns={"id": "Area", "imd_decile": "Band"})
    assert table["imd_decile"].to_dict() == {"E1": 2, "E2": 10}
    pop = write(tmp_path, "pop.csv", "Area,People,Older\nE1,\"1,500\",300\nE2,900,100\n")
    table, _ = read_population(
        pop, "LSOA21CD", columns={"id": "Area", "population": "People", "age_65_plus": "Older"}
    )
    assert table.to_dict("index") == {
        "E1": {"population": 1500, "age_65_plus": 300},
        "E2": {"population": 900, "age_65_plus": 100},
    }


def test_scenario_column_mappings_name_only_our_columns() -> None:
    from estate_planner._errors import ScenarioError
    from estate_planner.scenario import scenario_from_dict

    data = {
        "name": "x",
        "network": {"osm": "a.osm"},
        "demand": {"areas": "a.gpkg", "deprivation_columns": {"imd_decil": "Band"}},
        "candidates": {"from_osm": True},
    }
    with pytest.raises(ScenarioError, match="did you mean 'imd_decile'"):
        scenario_from_dict(data)


@pytest.mark.rutland
def test_the_national_gp_lists(shared_data: Path) -> None:
    """The list without coordinates says how to place it; the geocoded national list
    reads as published ("Organisation Code", "Status Code") and keeps active practices."""
    folder = shared_data / "nhs_services"
    bare = ServiceConfig(path=folder / "epraccur_gp_practices_england_wales.csv.gz", kind="gp")
    with pytest.raises(InputDataError, match="postcodes = .*geocoded_2022"):
        read_services(bare, "services[0].path")
    geocoded = ServiceConfig(
        path=folder / "gp_practices_england_wales_geocoded_2022.csv.gz", kind="gp"
    )
    services, record = read_services(geocoded, "services[0].path")
    raw = pd.read_csv(geocoded.path, dtype=str)
    active = raw[(raw["Status Code"] == "A") & (raw["Prescribing Setting"] == "4")]
    placed = active.dropna(subset=["latitude", "longitude"])
    assert record.rows_read == len(raw)
    assert len(services) == placed["Organisation Code"].nunique()
    rutland = pd.read_csv(folder / "gp_practices_rutland_geocoded.csv", dtype=str)
    wanted = set(rutland.loc[rutland["status_code"] == "A", "organisation_code"])
    assert wanted <= set(services["service_id"])


# -- availability and floor area: known, not known or estimated ------------------------

_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
<bounds minlat="52.60" minlon="-0.75" maxlat="52.70" maxlon="-0.65"/>
{nodes}
</osm>
"""


def _osm_node(i: int, lon: float, lat: float, **tags: str) -> str:
    body = "".join(f'<tag k="{k.replace("_", ":")}" v="{v}"/>' for k, v in tags.items())
    return (
        f'<node id="{i}" version="1" timestamp="2019-05-01T00:00:00Z" lat="{lat}" '
        f'lon="{lon}">{body}</node>'
    )


def test_osm_buildings_are_not_known_unless_tagged_vacant_and_surgeries_never(
    tmp_path: Path,
) -> None:
    from estate_planner.sources.estate import candidates_from_osm

    nodes = [
        _osm_node(1, -0.70, 52.65, shop="vacant", name="Empty unit"),
        _osm_node(2, -0.71, 52.65, amenity="library", name="Town Library"),
        _osm_node(3, -0.72, 52.65, amenity="doctors", name="High Street Surgery"),
        _osm_node(4, -0.73, 52.65, healthcare="clinic", name="Foot Clinic"),
        _osm_node(5, -0.74, 52.65, disused_amenity="doctors", name="Old Surgery"),
        _osm_node(6, -0.69, 52.65, amenity="community_centre", name="Hall"),
    ]
    path = write(tmp_path, "town-2019-05-02.osm", _OSM.format(nodes="\n".join(nodes)))
    cands, record = candidates_from_osm(path)
    by_name = cands.set_index("name")
    # the working surgery and clinic are never candidates; the disused surgery is
    assert set(by_name.index) == {"Empty unit", "Town Library", "Old Surgery", "Hall"}
    assert record.counts["dropped: a working health service (amenity=doctors, clinic, ...)"] == 2
    assert record.rows_read == 6 and record.rows_used == 4
    vacant = by_name.loc[["Empty unit", "Old Surgery"]]
    assert (vacant["available"] == 1.0).all()
    assert vacant["availability_source"].tolist() == [
        "tagged vacant in OSM (shop=vacant), extract of 2019-05-02",
        "tagged vacant in OSM (disused:amenity=doctors), extract of 2019-05-02",
    ]
    assert (vacant["availability_date"] == "2019-05-02").all()
    silent = by_name.loc[["Town Library", "Hall"]]
    assert silent["available"].isna().all()
    assert (silent["availability_source"] == "").all()
    # points have no footprint: floor area not known, and no source claimed for it
    assert cands["floor_area_m2"].isna().all() and (cands["floor_area_source"] == "").all()


def test_a_list_without_an_availability_column_knows_none(tmp_path: Path) -> None:
    from estate_planner.sources.estate import describe_availability

    path = write(
        tmp_path,
        "sites.csv",
        "site_id,name,kind,longitude,latitude,floor_area_m2\n"
        "S1,a,retail,-0.7,52.6,300\nS2,b,council,-0.71,52.6,\n",
    )
    cands, _ = read_candidates(CandidatesConfig(path=path))
    assert cands["available"].isna().all()
    words = describe_availability(cands.assign(source="property list"))
    assert words["availability"].tolist() == ["not known", "not known"]
    assert words["availability_source"].tolist() == ["not stated in property list"] * 2
    assert words["floor_area_source"].tolist() == ["property list sites.csv", ""]


def test_a_list_with_availability_says_its_column_and_date(tmp_path: Path) -> None:
    from estate_planner.sources.estate import describe_availability

    path = write(
        tmp_path,
        "estate_2024-03.csv",
        "site_id,name,kind,longitude,latitude,available,availability_date\n"
        "S1,a,retail,-0.7,52.6,yes,2025-01-10\nS2,b,council,-0.71,52.6,no,\n"
        "S3,c,council,-0.72,52.6,,\n",
    )
    cands, record = read_candidates(CandidatesConfig(path=path))
    assert record.date == "2024-03" and record.date_basis == "date in the file name"
    words = describe_availability(cands.assign(source="list"))
    assert words["availability"].tolist() == ["available", "not available", "not known"]
    assert words["availability_date"].tolist() == ["2025-01-10", "2024-03", ""]
    assert words["availability_source"].iloc[0] == "property list estate_2024-03.csv, column 'available'"


def test_a_candidate_on_a_surgery_site_is_set_aside_unless_known_available() -> None:
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import Point

    from estate_planner.sources.estate import set_aside_working_services

    services = gpd.GeoDataFrame(
        {"service_id": ["G1"], "name": ["Oakham Surgery"]}, geometry=[Point(0, 0)], crs=27700
    )
    cands = gpd.GeoDataFrame(
        {"site_id": ["on", "near-but-free", "far"], "available": [np.nan, 1.0, np.nan]},
        geometry=[Point(10, 10), Point(5, 0), Point(31, 0)],
        crs=27700,
    )
    kept, set_aside = set_aside_working_services(cands, services)
    assert kept["site_id"].tolist() == ["near-but-free", "far"]
    assert set_aside.to_dict() == {"on": "Oakham Surgery"}


def test_the_date_of_the_data_comes_from_the_file_never_from_when_it_was_copied(
    tmp_path: Path,
) -> None:
    """Header, then timetable, then name, then the newest OSM edit; else not known."""
    import os
    import zipfile

    from estate_planner.sources.tables import data_date

    osm = write(
        tmp_path,
        "streets.osm",
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='test'>\n"
        "<node id='1' version='1' timestamp='2019-05-01T10:00:00Z' lat='52.6' lon='-0.7'/>\n"
        "<node id='2' version='3' timestamp='2021-11-30T23:59:00Z' lat='52.61' lon='-0.7'/>\n"
        "<way id='3' version='1' timestamp='2020-01-01T00:00:00Z'><nd ref='1'/><nd ref='2'/>"
        "<tag k='highway' v='residential'/></way>\n</osm>\n",
    )
    assert data_date(osm) == (
        "2021-11-30", "newest edit in the OSM extract (its header states no date)"
    )  # fmt: skip
    import osmium

    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2024-02-03T04:05:06Z")
    stamped = tmp_path / "stamped.osm.pbf"
    writer = osmium.SimpleWriter(str(stamped), 1 << 20, header)
    writer.add_node(
        osmium.osm.mutable.Node(
            id=1, location=(-0.7, 52.6), version=1, timestamp="2019-05-01T10:00:00Z"
        )
    )
    writer.close()
    assert data_date(stamped)[0] == "2024-02-03"
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "stops.txt").write_text("stop_id,stop_lat,stop_lon\nA,52.6,-0.7\n")
    (feed / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "W,1,1,1,1,1,0,0,20230904,20231222\nS,0,0,0,0,0,1,0,20230902,20240330\n"
    )
    assert data_date(feed) == (
        "2023-09-02",
        "first day of service, timetable runs 2023-09-02 to 2024-03-30 (calendar.txt)",
    )
    with zipfile.ZipFile(tmp_path / "bus_gtfs_2020.zip", "w") as archive:
        archive.writestr(
            "feed_info.txt",
            "feed_publisher_name,feed_lang,feed_start_date,feed_end_date\nX,en,20230605,20240301\n",
        )
    # what the feed says of itself wins over the year in its name
    assert data_date(tmp_path / "bus_gtfs_2020.zip")[0] == "2023-06-05"
    plain = write(tmp_path, "hospitals.csv", "name,longitude,latitude\nA,-0.7,52.6\n")
    os.utime(plain, (1e9, 1e9))  # 2001: a copy's date must not show
    assert data_date(plain) == ("", "not stated in the file or its name")
