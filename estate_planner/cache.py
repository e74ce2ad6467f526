"""One on-disk cache for every stage: :meth:`Cache.get_or_build`.

Entries are keyed by a hash of everything the value depends on (the package version
always among them) and stored in data formats only (:mod:`estate_planner._codec`:
NumPy arrays and JSON in one ``.npz``), so reading an entry another user or machine
wrote (a team drive, a cluster's shared folder) can never run code; at worst a
damaged or foreign entry is rebuilt. Writers write a temporary file and rename it
into place, so concurrent writers of one entry are safe.

The default folder comes from the environment: ``ESTATE_PLANNER_CACHE`` names it
(``off`` turns caching off); otherwise ``~/.cache/estate-planner``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from estate_planner._codec import FORMAT, encode_entry, read_entry

logger = logging.getLogger(__name__)

T = TypeVar("T")

SUFFIX = ".npz"


@dataclasses.dataclass(frozen=True)
class Cache:
    """Where stage results are kept between runs (``folder=None``: nothing is kept).

    Examples
    --------
    >>> cache = Cache(None)
    >>> cache.get_or_build("sum", [1, 2], lambda: 3)
    (3, 'built')
    """

    folder: Path | None = None

    @classmethod
    def from_env(cls) -> Cache:
        """The cache the environment asks for (``ESTATE_PLANNER_CACHE``)."""
        value = os.environ.get("ESTATE_PLANNER_CACHE", "")
        if value.lower() in ("off", "0", "no", "false"):
            return cls(None)
        return cls(Path(value) if value else Path.home() / ".cache" / "estate-planner")

    def get_or_build(
        self,
        kind: str,
        key_parts: list[Any] | tuple[Any, ...],
        build: Callable[[], T],
        *,
        built: str = "built",
    ) -> tuple[T, str]:
        """The stored value of ``kind`` for ``key_parts``, or ``build()`` stored.

        Parameters
        ----------
        kind : str
            What is stored ("network", "times", ...); part of the file name.
        key_parts : list
            Everything the value depends on: numbers, strings, arrays, sparse
            matrices, nested lists and dicts. The package version is added.
        build : callable
            Makes the value when it is not stored or cannot be read.
        built : str, optional
            The status to report when the value was built ("read", "solved", ...).

        Returns
        -------
        value, status
            ``status`` is ``built`` or ``"reused from cache"``.
        """
        if self.folder is None:
            return build(), built
        path = self.folder / f"{kind}-{key(*key_parts)}{SUFFIX}"
        if path.is_file():
            try:
                return read_entry(path), "reused from cache"
            except Exception as exc:  # a damaged or foreign entry is rebuilt, not fatal
                logger.warning("rebuilding unreadable cache entry %s: %s", path.name, exc)
        value = build()
        self._store(path, value)
        return value, built

    def _store(self, path: Path, value: Any) -> None:
        try:
            data = encode_entry(value)
        except TypeError as exc:  # a programming error: say so, but the run goes on
            logger.warning("could not cache %s: %s", path.name, exc)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)
        except OSError as exc:  # a read-only home is no reason to fail a run
            logger.warning("could not write the cache in %s: %s", path.parent, exc)


# --------------------------------------------------------------------------------------
# Keys


def key(*parts: object) -> str:
    """A short stable hash of ``parts`` and the package version.

    Arrays and sparse matrices are hashed by their type, shape and contents; other
    values by their ``repr`` (lists, dicts and tuples part by part).
    """
    from estate_planner import __version__

    h = hashlib.sha256()
    for part in (__version__, FORMAT, *parts):
        _feed(h, part)
    return h.hexdigest()[:24]


def _feed(h: Any, part: object) -> None:
    if isinstance(part, bytes):
        h.update(part)
    elif sp.issparse(part):
        csr = sp.csr_matrix(part)
        for a in (np.array(csr.shape), csr.indptr, csr.indices, csr.data):
            _feed(h, a)
    elif isinstance(part, np.ndarray):
        h.update(f"{part.dtype.str}{part.shape}".encode())
        h.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, list | tuple):
        h.update(b"[")
        for item in part:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(part, dict):
        _feed(h, sorted(part.items(), key=lambda kv: repr(kv[0])))
    else:
        h.update(repr(part).encode())
    h.update(b"\x00")



__all__ = ["Cache", "encode_entry", "key", "read_entry"]
