"""Run settings that are not part of a scenario: where the cache lives.

No module-level mutable state: a :class:`Settings` is passed to the run. The default
comes from the environment: ``ESTATE_PLANNER_CACHE`` names the cache folder (``off``
turns caching off); otherwise ``~/.cache/estate-planner``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Where cached networks and travel times go (None: no cache)."""

    cache_dir: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        value = os.environ.get("ESTATE_PLANNER_CACHE", "")
        if value.lower() in ("off", "0", "no", "false"):
            return cls(None)
        return cls(Path(value) if value else Path.home() / ".cache" / "estate-planner")

    def load(self, kind: str, key: str) -> Any | None:
        """A cached object, or None when absent or unreadable (then it is rebuilt)."""
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{kind}-{key}.pickle"
        if not path.is_file():
            return None
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except Exception:  # a stale or damaged cache entry is rebuilt, not fatal
            logger.warning("ignoring unreadable cache entry %s", path)
            return None

    def store(self, kind: str, key: str, value: Any) -> None:
        """Cache ``value`` (written to a temporary file, then renamed into place)."""
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                dir=self.cache_dir, delete=False, suffix=".tmp"
            ) as tmp:
                pickle.dump(value, tmp, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp.name, self.cache_dir / f"{kind}-{key}.pickle")
        except OSError as exc:  # a read-only home is no reason to fail a run
            logger.warning("could not write the cache in %s: %s", self.cache_dir, exc)


def digest(*parts: object) -> str:
    """A short stable hash of ``parts`` (bytes are hashed as they are, the rest as repr)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()[:24]
