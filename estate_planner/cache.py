"""One on-disk cache for every stage: ``cache.call(stage_function, *args, **kwargs)``.

The rule: a cached stage is a pure function of its arguments, and the cache key is a
hash of exactly those arguments, taken here, never listed by the stage. The key of a
call is the function's module and qualified name, the package version, a digest of
the package's source files and a :func:`token` of the *content* of every argument
(bound to the function's parameter names, defaults included):

- arrays by dtype, shape and bytes (one SHA-1 pass over the contiguous buffer, which
  CPUs with SHA extensions hash at about 1 GB/s: a 1M-node network's arrays in about a
  tenth of a second);
  sparse matrices by format, shape and their arrays;
- (Geo)DataFrames and Series by index, columns, dtypes and values, geometries as WKB,
  with the CRS; pydantic models field by field (their JSON, with each path below);
- a path by its name and the bytes of the file, or of every file under a folder
  (relative name and content), hashed once per file version in a process;
- plain values, lists, tuples, dicts, dates, networkx graphs, this package's
  dataclasses field by field, and objects that give a ``__cache_token__()``.

Anything else is a :class:`~estate_planner._errors.CacheKeyError`: an argument the hash
cannot see is a stale answer waiting to happen, so it is refused, never hashed by its
``repr``. So is a result the store cannot encode. Entries are data only
(:mod:`estate_planner._codec`: NumPy arrays and JSON in one ``.npz``), so reading one
another user wrote can never run code; a damaged entry is rebuilt. The folder is kept
under a size limit by removing the least recently used entries.

The folder comes from the environment: ``ESTATE_PLANNER_CACHE`` names it (``off``
turns caching off; default ``~/.cache/estate-planner``), ``ESTATE_PLANNER_CACHE_SIZE``
its limit (``500MB``, ``2GB``; default 2 GB).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import inspect
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Any, NamedTuple, TypeVar

import numpy as np

from estate_planner._codec import FORMAT, encode_entry, read_entry
from estate_planner._errors import CacheKeyError, ScenarioError

logger = logging.getLogger(__name__)

T = TypeVar("T")

SUFFIX = ".npz"
#: the status a stage reports for a value read back from the cache
REUSED = "reused from cache"
#: the size limit when ``ESTATE_PLANNER_CACHE_SIZE`` is not set
DEFAULT_MAX_BYTES = 2 * 2**30


@dataclasses.dataclass(frozen=True)
class Cache:
    """Where stage results are kept between runs (``folder=None``: nothing is kept).

    Examples
    --------
    >>> cache = Cache(None)
    >>> cache.call(max, 1, 2)
    2
    """

    folder: Path | None = None
    #: the folder's size limit; the least recently used entries go first
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_env(cls) -> Cache:
        """The cache the environment asks for (``ESTATE_PLANNER_CACHE``, ``..._SIZE``)."""
        value = os.environ.get("ESTATE_PLANNER_CACHE", "")
        limit = parse_size(os.environ.get("ESTATE_PLANNER_CACHE_SIZE", ""))
        if value.lower() in ("off", "0", "no", "false"):
            return cls(None, limit)
        return cls(Path(value) if value else Path.home() / ".cache" / "estate-planner", limit)

    def call(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``func(*args, **kwargs)``, read back when called before with equal arguments.

        Parameters
        ----------
        func : callable
            A module-level function that is pure: its result depends on nothing but
            its arguments (a nested function or lambda could read variables the key
            cannot see, so they are refused).
        *args, **kwargs
            Its arguments, hashed by content (see the module docstring).

        Returns
        -------
        object
            What ``func`` returns.

        Raises
        ------
        CacheKeyError
            If an argument is of a type the cache cannot hash, ``func`` is not a
            module-level function, or the result cannot be stored.
        """
        return self.call_status(func, *args, **kwargs)[0]

    def call_status(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> tuple[T, bool]:
        """As :meth:`call`, and whether the value was read from the cache.

        Returns
        -------
        value, reused
        """
        if self.folder is None:
            return func(*args, **kwargs), False
        path = self.folder / f"{_name(func)}-{call_key(func, args, kwargs)}{SUFFIX}"
        if path.is_file():
            try:
                value = _read(path)
            except Exception as exc:  # a damaged or foreign entry is rebuilt, not fatal
                logger.warning("rebuilding unreadable cache entry %s: %s", path.name, exc)
            else:
                return value, True
        value = func(*args, **kwargs)
        try:
            data = encode_entry(value)
        except TypeError as exc:
            raise CacheKeyError(
                f"the cache cannot store what {_name(func)} returns ({exc}); return arrays, "
                "frames, plain values or this package's dataclasses"
            ) from None
        self._store(path, data)
        return value, False

    def _store(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)
        except OSError as exc:  # a read-only home is no reason to fail a run
            logger.warning("could not write the cache in %s: %s", path.parent, exc)
            return
        self.evict(keep=path)

    def entries(self) -> list[Entry]:
        """Every entry in the folder, least recently used first."""
        if self.folder is None or not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob(f"*{SUFFIX}"):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed by another process meanwhile
                continue
            function = path.name.rsplit("-", 1)[0]
            found.append(Entry(path, function, stat.st_size, stat.st_mtime))
        return sorted(found, key=lambda e: (e.used, e.path.name))

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Remove the least recently used entries until the folder is within its limit.

        Parameters
        ----------
        keep : pathlib.Path, optional
            An entry never removed (the one just written).

        Returns
        -------
        list of pathlib.Path
            The entries removed.
        """
        entries = self.entries()
        total = sum(e.bytes for e in entries)
        removed = []
        for entry in entries:
            if total <= self.max_bytes:
                break
            if entry.path == keep:
                continue
            entry.path.unlink(missing_ok=True)
            total -= entry.bytes
            removed.append(entry.path)
        if removed:
            logger.info("cache over %s: removed %d old entries", format_size(self.max_bytes),
                        len(removed))  # fmt: skip
        self._remove_abandoned()
        return removed

    def _remove_abandoned(self) -> None:
        """Temporary files a killed writer left, once an hour old."""
        assert self.folder is not None
        for tmp in self.folder.glob("*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > 3600:
                    tmp.unlink()

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        entries = self.entries()
        for entry in entries:
            entry.path.unlink(missing_ok=True)
        return len(entries)


class Entry(NamedTuple):
    """One stored value: its file, the function that made it, size and last use."""

    path: Path
    function: str
    bytes: int
    used: float  # seconds since the epoch


class _Read(NamedTuple):
    stamp: tuple[int, int]  # the file's size and modification time once read and touched
    value: Any
    bytes: int


#: Entries this process has read, by path, newest last. The explorer's runs read the
#: same entries on every change, and decoding them (geometries from WKB above all) costs
#: ten times a deep copy of what was decoded. The file is still the truth: an entry
#: whose size or modification time is not the one left when it was read (rewritten,
#: damaged, removed) is read again. Each caller gets its own deep copy, so no run can
#: change what another reads.
_READ: dict[str, _Read] = {}
#: the most the entries kept in memory may take (their files' size)
READ_MEMORY_BYTES = 256 * 2**20


def _read(path: Path) -> Any:
    """The entry at ``path`` (:func:`read_entry`), from memory when it has not changed
    since this process last read it; marked used either way."""
    key = str(path.absolute())
    kept = _READ.pop(key, None)
    stat = path.stat()
    if kept is None or kept.stamp != (stat.st_size, stat.st_mtime_ns):
        kept = _Read((0, 0), read_entry(path), stat.st_size)
    _touch(path)
    stat = path.stat()
    if kept.bytes <= READ_MEMORY_BYTES:
        _READ[key] = kept._replace(stamp=(stat.st_size, stat.st_mtime_ns))
        while sum(r.bytes for r in _READ.values()) > READ_MEMORY_BYTES:
            del _READ[next(iter(_READ))]  # the least recently read
    return copy.deepcopy(kept.value)


def _touch(path: Path) -> None:
    """Mark an entry used now (its modification time orders eviction)."""
    with contextlib.suppress(OSError):  # a read-only shared cache still serves reads
        os.utime(path)


def parse_size(text: str) -> int:
    """Bytes from ``"2GB"``, ``"500 MB"``, ``"1.5G"`` or a number of bytes.

    Parameters
    ----------
    text : str
        Empty for the default (:data:`DEFAULT_MAX_BYTES`).

    Returns
    -------
    int

    Raises
    ------
    ScenarioError
        If the text is not a size.
    """
    if not text.strip():
        return DEFAULT_MAX_BYTES
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise ScenarioError(
            f"ESTATE_PLANNER_CACHE_SIZE is {text!r}; give a size such as 500MB or 2GB"
        )
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[match.group(2)]
    return int(float(match.group(1)) * scale)


def format_size(n: float) -> str:
    """``n`` bytes for a person: ``"1.2 GB"``.

    Parameters
    ----------
    n : float
        Bytes.

    Returns
    -------
    str
    """
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


# --------------------------------------------------------------------------------------
# Keys


def _name(func: Callable[..., Any]) -> str:
    """``module.qualname`` less the package prefix: the entry's file name starts so."""
    module = getattr(func, "__module__", None) or ""
    qualname = getattr(func, "__qualname__", None)
    if qualname is None or "<" in qualname:
        raise CacheKeyError(
            f"cache.call needs a module-level function, not {func!r}: a lambda, nested "
            "function or partial can read values the cache key cannot see; pass them "
            "as arguments to a module-level function"
        )
    return f"{module.removeprefix('estate_planner.')}.{qualname}"


def call_key(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The key of ``func(*args, **kwargs)``: its name, the code and the arguments' content.

    Parameters
    ----------
    func : callable
    args : tuple
    kwargs : dict

    Returns
    -------
    str
        40 hex digits (SHA-1: a key, not a seal; entries are data, never code).
    """
    name = _name(func)
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except TypeError as exc:
        raise CacheKeyError(f"{name}: {exc}") from None
    bound.apply_defaults()
    h = hashlib.sha1(usedforsecurity=False)
    h.update(f"{name}\0{code_version()}\0{FORMAT}\0".encode())
    for parameter, value in bound.arguments.items():
        h.update(parameter.encode() + b"=")
        try:
            _feed(h, value)
        except CacheKeyError as exc:
            raise CacheKeyError(f"{name}, argument {parameter!r}: {exc}") from None
    return h.hexdigest()


def token(value: object) -> str:
    """A hash of ``value``'s content, as :meth:`Cache.call` keys its arguments.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
        40 hex digits (SHA-1: a key, not a seal; entries are data, never code).

    Raises
    ------
    CacheKeyError
        If ``value`` holds something the cache cannot hash.

    Examples
    --------
    >>> import numpy as np
    >>> token(np.arange(3)) == token(np.arange(3)) != token(np.arange(3.0))
    True
    """
    h = hashlib.sha1(usedforsecurity=False)
    _feed(h, value)
    return h.hexdigest()


@functools.cache
def code_version() -> str:
    """The package version and a digest of its source files (read once per process), so
    an entry written by other code, a development checkout included, is never reused."""
    from estate_planner import __version__

    root = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()}"


def _feed(h: Any, value: object) -> None:
    """Add ``value``'s type and content to the hash ``h`` (every kind starts with its own
    tag and lengths are written, so no two values feed the same bytes)."""
    if value is None:
        h.update(b"N;")
    elif isinstance(value, bool | np.bool_):
        h.update(b"T;" if value else b"F;")
    elif isinstance(value, int) and not isinstance(value, enum.Enum):
        h.update(b"I%d;" % value)
    elif isinstance(value, float):
        h.update(b"D" + float(value).hex().encode() + b";")
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        h.update(b"S%d:" % len(data) + data)
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        h.update(b"Y%d:" % len(data) + data)
    elif isinstance(value, np.ndarray | np.generic):
        _feed_array(h, np.asarray(value))
    elif isinstance(value, PurePath):
        _feed_path(h, Path(value))
    elif isinstance(value, list | tuple):
        h.update(b"L%d[" % len(value) if isinstance(value, list) else b"U%d[" % len(value))
        for item in value:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(value, dict):
        items = sorted((token(k), k, v) for k, v in value.items())  # any insertion order
        h.update(b"M%d{" % len(items))
        for key_token, _, item in items:
            h.update(key_token.encode())
            _feed(h, item)
        h.update(b"}")
    elif isinstance(value, set | frozenset):
        h.update(b"E%d{" % len(value) + "".join(sorted(token(v) for v in value)).encode())
    elif isinstance(value, enum.Enum):
        h.update(f"enum:{type(value).__qualname__}.{value.name};".encode())
    elif isinstance(value, dt.date | dt.time | dt.timedelta):
        h.update(f"{type(value).__name__}:{value!s};".encode())
    elif hasattr(value, "__cache_token__"):
        h.update(f"obj:{type(value).__module__}.{type(value).__qualname__}(".encode())
        _feed(h, value.__cache_token__())
        h.update(b")")
    elif _is_pydantic(value):
        h.update(f"model:{type(value).__module__}.{type(value).__qualname__}(".encode())
        _feed(h, dict(value))  # type: ignore[call-overload]  # fields as validated: paths stay paths
        h.update(b")")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        _feed_dataclass(h, value)
    else:
        _feed_library(h, value)


def _feed_library(h: Any, value: object) -> None:
    """pandas, GeoPandas, shapely, SciPy and networkx values, imported only if present."""
    import pandas as pd
    import scipy.sparse as sp

    if sp.issparse(value):
        _feed_sparse(h, value)
    elif isinstance(value, pd.DataFrame):
        _feed_frame(h, value)
    elif isinstance(value, pd.Series):
        h.update(b"series(")
        _feed(h, value.name)
        _feed_index(h, value.index)
        _feed_values(h, value)
        h.update(b")")
    elif isinstance(value, pd.Index):
        _feed_index(h, value)
    elif isinstance(value, pd.Timestamp):
        h.update(f"timestamp:{value.isoformat()};".encode())
    elif value is pd.NA or value is pd.NaT:
        h.update(f"{value!s};".encode())
    elif type(value).__module__.startswith("shapely"):
        import shapely

        h.update(b"geom:" + shapely.to_wkb(value, include_srid=True) + b";")
    elif type(value).__module__.startswith("networkx"):
        _feed_graph(h, value)
    elif callable(value) and inspect.isroutine(value):
        h.update(f"function:{_name(value)};".encode())
    else:
        raise CacheKeyError(
            f"the cache cannot hash a {type(value).__module__}.{type(value).__qualname__}; "
            "pass plain data (arrays, frames, numbers, strings, paths, settings models) or "
            "give the type a __cache_token__() returning such data"
        )


def _feed_array(h: Any, a: np.ndarray) -> None:
    if a.dtype.hasobject:
        h.update(b"objects%s[" % str(a.shape).encode())
        for item in a.ravel(order="C").tolist():
            _feed(h, item)
        h.update(b"]")
        return
    h.update(f"array:{a.dtype.str}{a.shape}:".encode())
    h.update(np.ascontiguousarray(a).reshape(-1).view(np.uint8).data)


def _feed_sparse(h: Any, m: Any) -> None:
    fmt = m.format
    if fmt not in ("csr", "csc", "coo"):
        m, fmt = m.tocsr(), "csr"
    h.update(f"sparse:{fmt}{m.shape}:".encode())
    parts = (m.row, m.col, m.data) if fmt == "coo" else (m.indptr, m.indices, m.data)
    for part in parts:
        _feed_array(h, np.asarray(part))


def _feed_frame(h: Any, frame: Any) -> None:
    geometry = getattr(frame, "_geometry_column_name", None)
    h.update(f"frame:{type(frame).__name__}:{frame.shape}:".encode())
    _feed(h, geometry if type(frame).__name__ == "GeoDataFrame" else None)
    _feed_index(h, frame.index)
    _feed_index(h, frame.columns)
    for i in range(frame.shape[1]):
        _feed_values(h, frame.iloc[:, i])
    _feed(h, dict(frame.attrs))


def _feed_index(h: Any, index: Any) -> None:
    import pandas as pd

    if isinstance(index, pd.RangeIndex):
        h.update(f"range:{index.start}:{index.stop}:{index.step}:".encode())
        _feed(h, index.name)
    elif isinstance(index, pd.MultiIndex):
        h.update(b"multi:")
        _feed(h, list(index.names))
        for level in range(index.nlevels):
            _feed_index(h, index.levels[level])
            _feed_array(h, np.asarray(index.codes[level]))
    else:
        h.update(b"index:")
        _feed(h, index.name)
        _feed_values(h, pd.Series(index, copy=False))


def _feed_values(h: Any, series: Any) -> None:
    """A column's dtype and values (geometries as WKB with their CRS)."""
    import pandas as pd

    dtype = series.dtype
    h.update(f"values:{dtype!s}:".encode())
    if isinstance(dtype, pd.CategoricalDtype):
        _feed_index(h, dtype.categories)
        _feed(h, bool(dtype.ordered))
        _feed_array(h, series.cat.codes.to_numpy())
    elif type(dtype).__name__ == "GeometryDtype":
        crs = series.array.crs
        _feed(h, crs.to_wkt() if crs is not None else None)
        _feed_geometries(h, np.asarray(series.array))
    elif isinstance(dtype, np.dtype):
        _feed_array(h, series.to_numpy())
    elif hasattr(series.array, "_mask"):  # Int64, boolean, Float64: data and mask
        _feed_array(h, np.asarray(series.array._data))
        _feed_array(h, np.asarray(series.array._mask))
    else:  # strings and other extension types: element by element
        _feed_array(h, series.to_numpy(dtype=object))


def _feed_geometries(h: Any, geoms: np.ndarray) -> None:
    """Geometries by their coordinates and the offsets that part them (a third of the
    time of WKB), or as WKB where the types are mixed."""
    import shapely

    _feed_array(h, shapely.is_missing(geoms))
    try:
        kind, coords, offsets = shapely.to_ragged_array(geoms)
    except ValueError:  # mixed types or collections
        wkb = shapely.to_wkb(geoms, include_srid=True)
        lengths = np.array([-1 if b is None else len(b) for b in wkb], dtype=np.int64)
        _feed_array(h, lengths)
        h.update(b"wkb:" + b"".join(b for b in wkb if b is not None))
        return
    h.update(f"ragged:{int(kind)}:".encode())
    for part in (coords, *offsets):
        _feed_array(h, np.asarray(part))


def _feed_path(h: Any, path: Path) -> None:
    """A path's name and content: a file's bytes, a folder's files (name and bytes)."""
    h.update(f"path:{path}:".encode())
    if path.is_file():
        h.update(file_sha256(path).encode())
    elif path.is_dir():
        h.update(folder_sha256(path).encode())
    else:
        h.update(b"missing")
    h.update(b";")


def _feed_dataclass(h: Any, value: Any) -> None:
    """A dataclass by the fields that take part in its equality (a lazily filled
    ``compare=False`` field is derived, not content)."""
    cls = type(value)
    h.update(f"dataclass:{cls.__module__}.{cls.__qualname__}(".encode())
    for f in dataclasses.fields(value):
        if f.compare:
            h.update(f.name.encode() + b"=")
            _feed(h, getattr(value, f.name))
    h.update(b")")


def _feed_graph(h: Any, graph: Any) -> None:
    """A networkx graph by its kind, attributes, nodes and edges in their order."""
    h.update(f"graph:{type(graph).__name__}:".encode())
    _feed(h, dict(graph.graph))
    _feed(h, list(graph.nodes(data=True)))
    edges = graph.edges(keys=True, data=True) if graph.is_multigraph() else graph.edges(data=True)
    _feed(h, list(edges))


def _is_pydantic(value: object) -> bool:
    return any(c.__module__.startswith("pydantic") and c.__name__ == "BaseModel"
               for c in type(value).__mro__)  # fmt: skip


# --------------------------------------------------------------------------------------
# Files


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, computed once per version of the file in a process.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    str
        64 hex digits.
    """
    stat = path.stat()
    return _file_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int, inode: int) -> str:
    """Hash in 1 MB blocks (a county PBF need not sit in memory); the size, time and
    inode make a changed or replaced file a new entry."""
    del size, mtime_ns, inode
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def folder_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, in order of their path relative to it.

    Parameters
    ----------
    folder : pathlib.Path

    Returns
    -------
    list of pathlib.Path
    """
    return sorted(
        (p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).parts
    )


def folder_sha256(folder: Path) -> str:
    """The SHA-256 of a folder's files: each one's path relative to it and its hash.

    Parameters
    ----------
    folder : pathlib.Path

    Returns
    -------
    str
        64 hex digits.
    """
    h = hashlib.sha256()
    for path in folder_files(folder):
        h.update(f"{path.relative_to(folder).as_posix()}\0{file_sha256(path)}\n".encode())
    return h.hexdigest()


def describe(entries: Iterable[Entry]) -> list[str]:
    """Lines for ``estate-planner cache --list``: entries per function, size, last use.

    Parameters
    ----------
    entries : iterable of Entry

    Returns
    -------
    list of str
    """
    by_function: dict[str, list[Entry]] = {}
    for entry in entries:
        by_function.setdefault(entry.function, []).append(entry)
    lines = []
    for function, group in sorted(by_function.items()):
        size = sum(e.bytes for e in group)
        last = dt.datetime.fromtimestamp(max(e.used for e in group)).strftime("%Y-%m-%d %H:%M")
        lines.append(f"{function}: {len(group)} entries, {format_size(size)}, last used {last}")
    return lines


__all__ = ["REUSED", "Cache", "Entry", "call_key", "encode_entry", "read_entry", "token"]
