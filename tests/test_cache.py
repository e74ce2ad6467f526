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

from estate_planner.cache import Cache, encode_entry, key, read_entry
from estate_planner.optimise import Selection


def roundtrip(value: object, tmp_path: Path) -> object:
    path = tmp_path / "entry.npz"
    path.write_bytes(encode_entry(value))
    return read_entry(path)


def test_frames_come_back_with_their_dtypes_index_and_crs(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "id": ["a", "b", None],
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


def test_a_planted_pickle_is_rebuilt_without_being_run(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    parts = ["network", 1]
    value, status = cache.get_or_build("network", parts, lambda: np.arange(3))
    assert status == "built"
    (entry,) = (tmp_path / "cache").iterdir()
    marker = tmp_path / "marker.txt"
    for planted in (
        pickle.dumps(Payload(marker)),  # a bare pickle under the entry's name
        _npz_with_pickled_array(marker),  # a NumPy file holding a pickled object array
    ):
        entry.write_bytes(planted)
        value, status = cache.get_or_build("network", parts, lambda: np.arange(3))
        assert status == "built" and value.tolist() == [0, 1, 2]
        assert not marker.exists(), "a cache entry ran code"
    # and the rebuilt entry replaced the planted one
    assert cache.get_or_build("network", parts, lambda: None)[1] == "reused from cache"


def _npz_with_pickled_array(marker: Path) -> bytes:
    import io

    buffer = io.BytesIO()
    tree = np.frombuffer(b'{"format": 1, "value": {"$": "array", "ref": "a0"}}', np.uint8)
    np.savez(buffer, __tree__=tree, a0=np.array([Payload(marker)], dtype=object))
    return buffer.getvalue()


def test_a_damaged_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.get_or_build("times", [1], lambda: {"a": 1})
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(entry.read_bytes()[:50])
    assert cache.get_or_build("times", [1], lambda: {"a": 2}) == ({"a": 2}, "built")


def test_keys_follow_contents_not_identity() -> None:
    a = np.arange(5.0)
    assert key("x", a) == key("x", a.copy())
    assert key("x", a) != key("x", a + 1)
    assert key("x", a) != key("x", a.astype(np.float32))
    m = sp.csr_matrix(np.eye(3))
    assert key(m) == key(m.tocsc()) and key(m) != key(sp.csr_matrix(2 * np.eye(3)))
    assert key({"b": 1, "a": 2}) == key({"a": 2, "b": 1})
    assert key([1, 2]) != key([[1, 2]])


def test_no_cache_folder_builds_every_time() -> None:
    calls: list[int] = []
    cache = Cache(None)
    for _ in range(2):
        cache.get_or_build("x", [1], lambda: calls.append(1))
    assert len(calls) == 2


def test_the_environment_names_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ESTATE_PLANNER_CACHE", "off")
    assert Cache.from_env().folder is None
    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path))
    assert Cache.from_env().folder == tmp_path
    monkeypatch.delenv("ESTATE_PLANNER_CACHE")
    assert Cache.from_env().folder == Path(os.path.expanduser("~")) / ".cache" / "estate-planner"
