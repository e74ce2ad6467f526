"""Values as data, never pickles: the cache's storage format.

A value is stored as one ``.npz`` holding NumPy arrays (never of objects) and, under
``__tree__``, a JSON description of how they fit together: frames column by column
with their exact dtypes and index, geometries as WKB, sparse matrices by their three
arrays, and this package's dataclasses by name and fields. :func:`read_entry` uses
``numpy.load(allow_pickle=False)`` and ``json`` only and builds nothing but plain
values, pandas/GeoPandas frames and ``estate_planner`` dataclasses, so reading an
entry can never run code. Unsupported values raise :class:`TypeError` when stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import io
import json
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: How an entry's value was stored: bump when the layout below changes.
FORMAT = 1




def encode_entry(value: Any) -> bytes:
    """``value`` as the bytes of an ``.npz`` holding no pickles."""
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(value, arrays)
    text = json.dumps({"format": FORMAT, "value": tree}, allow_nan=True)
    arrays["__tree__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def read_entry(path: Path) -> Any:
    """The value stored at ``path`` (never unpickles anything)."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    tree = json.loads(arrays.pop("__tree__").tobytes().decode())
    if tree.get("format") != FORMAT:
        raise ValueError(f"cache format {tree.get('format')}, expected {FORMAT}")
    return _decode(tree["value"], arrays)


def _array(a: np.ndarray, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    if a.dtype.hasobject:
        return {"$": "objects", "shape": list(a.shape), "items": [
            _encode(v, arrays) for v in a.ravel().tolist()
        ]}
    name = f"a{len(arrays)}"
    arrays[name] = a if a.flags.c_contiguous else np.ascontiguousarray(a)
    return {"$": "array", "ref": name}


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int) and type(value) is int:
        return value
    if isinstance(value, float) and type(value) is float:
        return value
    if isinstance(value, np.generic):
        return {"$": "scalar", "value": _array(np.asarray(value), arrays)}
    if isinstance(value, np.ndarray):
        return _array(value, arrays)
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "items": [_encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        items = [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]
        return {"$": "dict", "items": items}
    if isinstance(value, PurePath):
        return {"$": "path", "value": str(value)}
    if sp.issparse(value):
        return _encode_sparse(value, arrays)
    if isinstance(value, pd.DataFrame):
        return _encode_frame(value, arrays)
    if isinstance(value, pd.Series):
        return {
            "$": "series",
            "name": _encode(value.name, arrays),
            "index": _encode_index(value.index, arrays),
            "values": _encode_values(value, arrays),
        }
    if value is pd.NA:
        return {"$": "NA"}
    if value is pd.NaT:
        return {"$": "NaT"}
    if isinstance(value, pd.Timestamp):
        return {"$": "timestamp", "value": value.isoformat()}
    if isinstance(value, dt.datetime | dt.date):
        return {"$": type(value).__name__, "value": value.isoformat()}
    if _is_geometry(value):
        import shapely

        return {"$": "geometry", "wkb": shapely.to_wkb(value, hex=True, include_srid=True)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value, arrays)
    raise TypeError(f"the cache cannot store a {type(value).__module__}.{type(value).__name__}")


def _is_geometry(value: Any) -> bool:
    return type(value).__module__.startswith("shapely")


def _encode_sparse(value: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    fmt = value.format
    if fmt not in ("csr", "csc"):
        raise TypeError(f"the cache stores csr and csc sparse matrices, not {fmt}")
    return {
        "$": "sparse",
        "class": type(value).__name__,
        "shape": list(value.shape),
        "data": _array(value.data, arrays),
        "indices": _array(value.indices, arrays),
        "indptr": _array(value.indptr, arrays),
    }


def _encode_frame(frame: pd.DataFrame, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    geo = None
    crs = None
    if hasattr(frame, "geometry") and type(frame).__name__ == "GeoDataFrame":
        geo = frame._geometry_column_name
        crs = frame.crs.to_wkt() if frame.crs is not None else None
    return {
        "$": "frame",
        "geometry": geo,
        "crs": crs,
        "index": _encode_index(frame.index, arrays),
        "columns": _encode_index(frame.columns, arrays),
        "values": [_encode_values(frame.iloc[:, i], arrays) for i in range(frame.shape[1])],
        "attrs": _encode(dict(frame.attrs), arrays),
    }


def _encode_index(index: pd.Index, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    if isinstance(index, pd.RangeIndex):
        return {
            "$": "range",
            "start": index.start,
            "stop": index.stop,
            "step": index.step,
            "name": _encode(index.name, arrays),
        }
    if isinstance(index, pd.MultiIndex):
        raise TypeError("the cache does not store MultiIndex frames")
    return {
        "$": "index",
        "name": _encode(index.name, arrays),
        "values": _encode_values(pd.Series(index), arrays),
    }


def _encode_values(series: pd.Series, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A column's values with their exact dtype."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "$": "categorical",
            "codes": _array(series.cat.codes.to_numpy(), arrays),
            "categories": _encode_index(dtype.categories, arrays),
            "ordered": bool(dtype.ordered),
        }
    if type(dtype).__name__ == "GeometryDtype":
        import shapely

        wkb = shapely.to_wkb(np.asarray(series.array), include_srid=True)
        crs = series.array.crs.to_wkt() if series.array.crs is not None else None
        lengths = np.array([-1 if b is None else len(b) for b in wkb], dtype=np.int64)
        blob = b"".join(b for b in wkb if b is not None)
        return {
            "$": "geometries",
            "lengths": _array(lengths, arrays),
            "blob": _array(np.frombuffer(blob, dtype=np.uint8), arrays),
            "crs": crs,
        }
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(series.array, "_mask"):
        masked = series.array
        return {
            "$": "masked",
            "dtype": str(dtype),
            "data": _array(masked._data, arrays),
            "mask": _array(masked._mask, arrays),
        }
    if isinstance(dtype, pd.StringDtype):
        items = [None if pd.isna(v) else str(v) for v in series.tolist()]
        return {"$": "strings", "dtype": str(dtype), "items": items}
    if isinstance(dtype, np.dtype):
        return _array(series.to_numpy(), arrays)
    raise TypeError(f"the cache cannot store a column of dtype {dtype}")


def _encode_dataclass(value: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    cls = type(value)
    if not cls.__module__.startswith("estate_planner."):
        raise TypeError(f"the cache stores only estate_planner's dataclasses, not {cls}")
    fields = {f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}
    return {"$": "dataclass", "type": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}


# --------------------------------------------------------------------------------------


def _decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if not isinstance(tree, dict):
        if isinstance(tree, list):
            return [_decode(v, arrays) for v in tree]
        return tree
    kind = tree["$"]
    if kind == "array":
        return arrays[tree["ref"]]
    if kind == "objects":
        out = np.empty(len(tree["items"]), dtype=object)
        for i, item in enumerate(tree["items"]):  # one by one: an item may be a list
            out[i] = _decode(item, arrays)
        return out.reshape(tree["shape"])
    if kind == "scalar":
        return arrays[tree["value"]["ref"]][()]
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in tree["items"])
    if kind == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in tree["items"]}
    if kind == "path":
        return Path(tree["value"])
    if kind == "sparse":
        cls = getattr(sp, tree["class"])
        if not (isinstance(cls, type) and tree["class"].startswith(("csr_", "csc_"))):
            raise ValueError(f"unexpected sparse class {tree['class']!r}")
        parts = (_decode(tree[p], arrays) for p in ("data", "indices", "indptr"))
        return cls(tuple(parts), shape=tuple(tree["shape"]))
    if kind == "frame":
        return _decode_frame(tree, arrays)
    if kind == "series":
        return pd.Series(
            _decode_values(tree["values"], arrays),
            index=_decode_index(tree["index"], arrays),
            name=_decode(tree["name"], arrays),
            copy=False,
        )
    if kind == "NA":
        return pd.NA
    if kind == "NaT":
        return pd.NaT
    if kind == "timestamp":
        return pd.Timestamp(tree["value"])
    if kind == "datetime":
        return dt.datetime.fromisoformat(tree["value"])
    if kind == "date":
        return dt.date.fromisoformat(tree["value"])
    if kind == "geometry":
        import shapely

        return shapely.from_wkb(tree["wkb"])
    if kind == "dataclass":
        return _decode_dataclass(tree, arrays)
    raise ValueError(f"unknown cache entry part {kind!r}")


def _decode_frame(tree: dict[str, Any], arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    columns = _decode_index(tree["columns"], arrays)
    index = _decode_index(tree["index"], arrays)
    data = {i: _decode_values(v, arrays) for i, v in enumerate(tree["values"])}
    frame = pd.DataFrame(data, index=index, copy=False)
    for i, values in data.items():  # pandas would infer str for a column of strings
        if isinstance(values, np.ndarray) and values.dtype == object:
            frame[i] = pd.Series(values, index=index, dtype=object, copy=False)
    frame.columns = columns
    frame.attrs.update(_decode(tree["attrs"], arrays))
    if tree["geometry"] is None:
        return frame
    import geopandas as gpd

    return gpd.GeoDataFrame(frame, geometry=tree["geometry"], crs=tree["crs"])


def _decode_index(tree: dict[str, Any], arrays: dict[str, np.ndarray]) -> pd.Index:
    name = _decode(tree["name"], arrays)
    if tree["$"] == "range":
        return pd.RangeIndex(tree["start"], tree["stop"], tree["step"], name=name)
    values = _decode_values(tree["values"], arrays)
    dtype = object if isinstance(values, np.ndarray) and values.dtype == object else None
    return pd.Index(values, name=name, dtype=dtype)


def _decode_values(tree: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    kind = tree["$"]
    if kind == "categorical":
        categories = _decode_index(tree["categories"], arrays)
        codes = _decode(tree["codes"], arrays)
        return pd.Categorical.from_codes(codes, categories=categories, ordered=tree["ordered"])
    if kind == "geometries":
        import geopandas as gpd
        import shapely

        lengths = _decode(tree["lengths"], arrays)
        blob = _decode(tree["blob"], arrays).tobytes()
        ends = np.cumsum(np.maximum(lengths, 0))
        wkb = np.array(
            [None if n < 0 else blob[e - n : e] for n, e in zip(lengths, ends, strict=True)],
            dtype=object,
        )
        return gpd.array.GeometryArray(shapely.from_wkb(wkb), crs=tree["crs"])
    if kind == "masked":
        dtype: Any = pd.api.types.pandas_dtype(tree["dtype"])
        data, mask = _decode(tree["data"], arrays), _decode(tree["mask"], arrays)
        return dtype.construct_array_type()(data, mask)
    if kind == "strings":
        return pd.array(tree["items"], dtype=tree["dtype"])
    return _decode(tree, arrays)


def _decode_dataclass(tree: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    module_name, _, qualname = tree["type"].partition(":")
    if not module_name.startswith("estate_planner."):
        raise ValueError(f"cache entry names a class outside estate_planner: {tree['type']}")
    cls: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"cache entry names {tree['type']}, which is not a dataclass")
    value = object.__new__(cls)  # state restored as stored, as an unpickled object would be
    names = {f.name for f in dataclasses.fields(cls)}
    for name, field_tree in tree["fields"].items():
        if name not in names:
            raise ValueError(f"{tree['type']} has no field {name!r}")
        object.__setattr__(value, name, _decode(field_tree, arrays))
    return value
