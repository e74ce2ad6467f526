"""The one cache: values come back exactly as stored, and nothing in the cache folder
can make a run execute code."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import LineString, Point, Polygon

from estate_planner._errors import CacheKeyError, EstatePlannerError, ScenarioError
from estate_planner.cache import Cache, encode_entry, parse_size, read_entry, token
from estate_planner.optimise import Selection


def roundtrip(value: object, tmp_path: Path) -> object:
    path = tmp_path / "entry.npz"
    path.write_bytes(encode_entry(value))
    return read_entry(path)


def test_frames_come_back_with_their_dtypes_index_and_crs(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "id": ["a", "b", None],
            # strings held as objects (as a fresh run's frames can hold them) stay objects
            "name": pd.Series(["x", "y", "z"], index=[10, 20, 30], dtype=object),
            "mixed": [1, "two", np.nan],  # dirty register columns mix types
            "n": np.array([1, 2, 3], dtype=np.int32),
            "x": [0.1, np.nan, np.inf],
            "flag": [True, False, True],
            "order": pd.array([1, pd.NA, 3], dtype="Int64"),
            "kind": pd.Categorical(["gp", "pharmacy", "gp"]),
            "when": pd.to_datetime(["2023-01-01", None, "2024-02-29"]),
            "lists": [[1, 2], [], ["x"]],
            "geometry": [Point(1, 2), None, Polygon([(0, 0), (1, 0), (1, 1)])],
        },
        index=pd.Index([10, 20, 30], name="row"),
        crs="EPSG:27700",
    )
    frame.attrs["source"] = "test"
    back = roundtrip(frame, tmp_path)
    assert isinstance(back, gpd.GeoDataFrame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back.crs == frame.crs and back.attrs == frame.attrs
    assert back["mixed"].tolist()[:2] == [1, "two"]  # not all made strings
    assert back["name"].dtype == object and back["id"].dtype == frame["id"].dtype


def test_arrays_sparse_scalars_and_nested_values(tmp_path: Path) -> None:
    matrix = sp.random(30, 40, density=0.1, format="csr", random_state=1)
    value = {
        "times": (matrix, matrix.tocsc()),
        3: [np.float64(2.5), np.int64(7), "s", None, Path("a/b"), LineString([(0, 0), (1, 1)])],
        "ids": np.array([5, 6], dtype=np.int64),
        "series": pd.Series([1.5, 2.5], index=["a", "b"], name="s"),
    }
    back = roundtrip(value, tmp_path)
    assert isinstance(back, dict)
    assert (back["times"][0] != matrix).nnz == 0 and back["times"][1].format == "csc"
    items = back[3]
    assert type(items[0]) is np.float64 and type(items[1]) is np.int64
    assert items[2:5] == ["s", None, Path("a/b")] and items[5].equals(value[3][5])
    assert back["ids"].dtype == np.int64
    pd.testing.assert_series_equal(back["series"], value["series"])


def test_the_package_dataclasses_come_back(tmp_path: Path) -> None:
    selection = Selection([2, 0], 10.5, 0.0, "exact (HiGHS)", [7.0, 3.5], [7.0, 10.5])
    assert roundtrip(selection, tmp_path) == selection


@dataclass
class Foreign:
    value: int


def test_classes_from_outside_the_package_are_refused() -> None:
    with pytest.raises(TypeError, match="only estate_planner's dataclasses"):
        encode_entry(Foreign(1))
    with pytest.raises(TypeError, match="cannot store"):
        encode_entry(object())


class Payload:
    """Unpickling this runs code: it writes a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "pwned"))


CALLS: list[object] = []


def counted(n: int, *, scale: float = 1.0) -> np.ndarray:
    """A module-level stage for the tests: it records each time it really runs."""
    CALLS.append(n)
    return np.arange(n) * scale


def test_a_planted_pickle_is_rebuilt_without_being_run(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    value, reused = cache.call_status(counted, 3)
    assert not reused
    (entry,) = (tmp_path / "cache").iterdir()
    marker = tmp_path / "marker.txt"
    for planted in (
        pickle.dumps(Payload(marker)),  # a bare pickle under the entry's name
        _npz_with_pickled_array(marker),  # a NumPy file holding a pickled object array
    ):
        entry.write_bytes(planted)
        value, reused = cache.call_status(counted, 3)
        assert not reused and value.tolist() == [0, 1, 2]
        assert not marker.exists(), "a cache entry ran code"
    # and the rebuilt entry replaced the planted one
    assert cache.call_status(counted, 3)[1]


def _npz_with_pickled_array(marker: Path) -> bytes:
    import io

    buffer = io.BytesIO()
    tree = np.frombuffer(b'{"format": 1, "value": {"$": "array", "ref": "a0"}}', np.uint8)
    np.savez(buffer, __tree__=tree, a0=np.array([Payload(marker)], dtype=object))
    return buffer.getvalue()


def test_a_damaged_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.call(counted, 4)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(entry.read_bytes()[:50])
    value, reused = cache.call_status(counted, 4)
    assert not reused and value.tolist() == [0, 1, 2, 3]


def test_an_entry_read_again_comes_from_the_file_as_it_is_now(tmp_path: Path) -> None:
    # entries read are kept in memory (issue 29): each read is its own copy, and a file
    # changed since it was read is read again
    cache = Cache(tmp_path)
    CALLS.clear()
    cache.call(counted, 4)
    first, reused = cache.call_status(counted, 4)
    assert reused and CALLS == [4]
    first[:] = -1  # a caller changing what it was given changes nothing kept
    again, reused = cache.call_status(counted, 4)
    assert reused and again.tolist() == [0, 1, 2, 3] and again is not first
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(encode_entry(np.arange(7)))  # rewritten behind the process's back
    assert cache.call(counted, 4).tolist() == list(range(7))
    entry.unlink()
    value, reused = cache.call_status(counted, 4)
    assert not reused and value.tolist() == [0, 1, 2, 3]


def test_a_call_is_keyed_by_its_arguments_bound_to_their_names(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    CALLS.clear()
    first = cache.call(counted, 3)
    assert cache.call(counted, n=3).tolist() == first.tolist()  # same call, other spelling
    assert cache.call(counted, 3, scale=1.0).tolist() == first.tolist()  # the default, given
    assert CALLS == [3]
    assert cache.call(counted, 3, scale=2.0).tolist() == [0, 2, 4]
    assert CALLS == [3, 3]


def test_no_cache_folder_runs_every_time() -> None:
    CALLS.clear()
    for _ in range(2):
        assert Cache(None).call_status(counted, 2)[1] is False
    assert CALLS == [2, 2]


# --------------------------------------------------------------------------------------
# Tokens: what is hashed, per type


def test_arrays_and_sparse_matrices_by_content() -> None:
    a = np.arange(12.0).reshape(3, 4)
    assert token(a) == token(a.copy()) == token(np.asfortranarray(a))
    assert token(a) != token(a + 1) and token(a) != token(a.astype(np.float32))
    assert token(a) != token(a.reshape(4, 3))  # same bytes, another shape
    assert token(a[:, ::2]) == token(np.ascontiguousarray(a[:, ::2]))
    assert token(np.array(["a", "b"], dtype=object)) != token(np.array(["a", "c"], dtype=object))
    m = sp.csr_matrix(np.eye(3))
    assert token(m) == token(m.copy()) != token(sp.csr_matrix(2 * np.eye(3)))
    assert token(m) != token(sp.csr_matrix(np.eye(4)))


def test_plain_values_do_not_collide() -> None:
    assert token({"b": 1, "a": 2}) == token({"a": 2, "b": 1})
    distinct = [[1, 2], [[1, 2]], (1, 2), [1, "2"], ["12"], ["1", "2"], 1, 1.0, True, "1",
                None, b"1", {"1": 2}, {1: 2}, [], (), {}, 0.0, -0.0, float("nan")]  # fmt: skip
    assert len({token(v) for v in distinct}) == len(distinct)


def test_frames_by_values_index_columns_dtypes_and_geometry() -> None:
    frame = gpd.GeoDataFrame(
        {"site_id": ["a", "b"], "n": [1, 2], "geometry": [Point(0, 0), Point(1, 1)]},
        crs="EPSG:27700",
    )
    same = token(frame)
    assert token(frame.copy()) == same
    for changed in (
        frame.assign(site_id=["a", "c"]),  # a renamed id
        frame.assign(n=[1.0, 2.0]),  # a dtype
        frame.assign(n=[1, 3]),
        frame.rename(columns={"n": "m"}),
        frame.set_axis([5, 6]),  # the index
        frame.set_geometry(gpd.GeoSeries([Point(0, 0), Point(1, 2)], crs="EPSG:27700")),
        frame.to_crs("EPSG:4326"),
        frame.iloc[::-1],  # row order
        frame[["n", "site_id", "geometry"]],  # column order
        pd.DataFrame(frame.drop(columns="geometry")),
    ):
        assert token(changed) != same
    series = pd.Series([1.5, 2.5], index=["a", "b"], name="s")
    assert token(series) != token(series.rename("t"))
    assert token(pd.Series(["x", None], dtype="string")) != token(pd.Series(["x", "y"]))


def test_paths_by_the_bytes_of_the_file_or_every_file_of_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "stops.txt"
    file.write_text("stop_id,stop_name\nS1,Oakham\n")
    before = token(file)
    file.write_text("stop_id,stop_name\nS1,Uppham\n")  # same size
    os.utime(file, ns=(1, 1))  # even with an old time: the inode, size and time key the memo
    assert token(file) != before
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "stop_times.txt").write_text("trip_id,arrival_time\nT1,08:00:00\n")
    (feed / "sub").mkdir()
    (feed / "sub" / "x.txt").write_text("x")
    folder = token(feed)
    (feed / "stop_times.txt").write_text("trip_id,arrival_time\nT1,08:05:00\n")
    edited = token(feed)
    assert edited != folder
    (feed / "sub" / "x.txt").rename(feed / "sub" / "y.txt")
    assert token(feed) != edited
    assert token(tmp_path / "absent") != token(tmp_path / "absent2")


def test_settings_models_by_their_fields_and_the_files_they_name(tmp_path: Path) -> None:
    from estate_planner.scenario import ServiceConfig

    csv = tmp_path / "gp.csv"
    csv.write_text("code,name\nA1,Surgery\n")
    config = ServiceConfig(path=csv, kind="gp")
    before = token(config)
    assert token(ServiceConfig(path=csv, kind="gp")) == before
    assert token(ServiceConfig(path=csv, kind="pharmacy")) != before
    csv.write_text("code,name\nA1,Surgery 2\n")
    assert token(config) != before


def test_networkx_graphs_by_nodes_edges_and_attributes() -> None:
    import networkx as nx

    g = nx.MultiDiGraph()
    g.add_node(1, x=0.0, y=0.0)
    g.add_node(2, x=1.0, y=0.0)
    g.add_edge(1, 2, highway="residential", length=100.0)
    base = token(g)
    tagged = g.copy()
    tagged.edges[1, 2, 0]["highway"] = "primary"
    moved = g.copy()
    moved.nodes[2]["x"] = 2.0
    assert token(g.copy()) == base and token(tagged) != base and token(moved) != base


class Opaque:
    pass


def test_what_cannot_be_hashed_or_stored_is_an_error(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    with pytest.raises(CacheKeyError, match=r"argument .n.: the cache cannot hash a .*Opaque"):
        cache.call(counted, Opaque())  # type: ignore[arg-type]
    with pytest.raises(CacheKeyError) as raised:
        token(object())
    assert isinstance(raised.value, TypeError) and isinstance(raised.value, EstatePlannerError)
    with pytest.raises(CacheKeyError, match="module-level function"):
        cache.call(lambda n: n, 1)
    with pytest.raises(CacheKeyError, match="cannot store what"):
        cache.call(opaque)
    assert not list(tmp_path.glob("*.npz"))


def opaque() -> Opaque:
    return Opaque()


# --------------------------------------------------------------------------------------
# Size limit and the command


def test_least_recently_used_entries_go_beyond_the_size_limit(tmp_path: Path) -> None:
    probe = Cache(tmp_path / "probe")
    probe.call(counted, 1000)
    size = next((tmp_path / "probe").iterdir()).stat().st_size
    cache = Cache(tmp_path / "c", max_bytes=int(size * 3.5))
    for i, n in enumerate((1000, 1001, 1002)):
        cache.call(counted, n)
        for entry in cache.entries():  # distinct times, oldest first as written
            if entry.path.stat().st_mtime > 10_000 * (i + 1):
                os.utime(entry.path, (10_000 * (i + 1), 10_000 * (i + 1)))
    assert cache.call_status(counted, 1000)[1]  # read: now the most recently used
    cache.call(counted, 1003)  # over the limit: 1001, the least recently used, goes
    CALLS.clear()
    assert cache.call_status(counted, 1001)[1] is False
    assert cache.call_status(counted, 1003)[1] and cache.call_status(counted, 1000)[1]
    assert sum(e.bytes for e in cache.entries()) <= cache.max_bytes


def test_the_environment_names_the_folder_and_its_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ESTATE_PLANNER_CACHE", "off")
    assert Cache.from_env().folder is None
    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path))
    monkeypatch.setenv("ESTATE_PLANNER_CACHE_SIZE", "500MB")
    assert Cache.from_env() == Cache(tmp_path, 500 * 2**20)
    monkeypatch.delenv("ESTATE_PLANNER_CACHE")
    monkeypatch.delenv("ESTATE_PLANNER_CACHE_SIZE")
    assert Cache.from_env() == Cache(Path.home() / ".cache" / "estate-planner", 2 * 2**30)
    assert parse_size("1.5G") == int(1.5 * 2**30) and parse_size("2048") == 2048
    with pytest.raises(ScenarioError, match="500MB or 2GB"):
        parse_size("lots")


def test_the_command_lists_and_clears(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from estate_planner.cli import main

    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path))
    cache = Cache.from_env()
    cache.call(counted, 5)
    cache.call(counted, 6)
    assert main(["cache", "--list"]) == 0
    out = capsys.readouterr().out
    assert "2 entries" in out and "test_cache.counted: 2 entries" in out
    assert main(["cache", "--clear"]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert cache.entries() == []
