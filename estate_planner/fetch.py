"""``estate-planner fetch``: the national files, from their publishers, into a folder.

Downloads go through pooch (a well-kept downloader used across the scientific Python
stack): a file is fetched only when it is missing or its checksum does not match,
written under a temporary name and moved into place only once its checksum is
verified, and retried when the connection drops or the bytes are wrong. pooch's own
HTTP downloader starts again from nothing each time; ours (:class:`ResumingDownloader`)
keeps what arrived in a ``.part`` file and asks the server for the rest (an HTTP
``Range`` request), so a county extract interrupted at 90% resumes at 90%.

Every file fetched is recorded in ``FETCHED.json`` beside it: where it came from,
its SHA-256, its size and when it was fetched, with the publisher and licence. Where
a publisher updates a file in place (NHS ODS lists weekly) no checksum can be known
beforehand: the one recorded at the first fetch is checked on later runs.

The addresses are the publishers' as known in 2026. Publishers move files; when one
has moved, ``--url NAME=URL`` gives the new address (``estate-planner fetch --list``
shows the names).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from estate_planner._errors import EstatePlannerError

logger = logging.getLogger(__name__)

RECORD = "FETCHED.json"
OGL = "Open Government Licence v3.0"


class FetchError(EstatePlannerError, OSError):
    """A download failed: offline, moved, or the bytes did not match."""


@dataclass(frozen=True)
class Source:
    """One published file: where it lives and what it is."""

    name: str
    url: str
    filename: str
    publisher: str
    licence: str
    what: str
    #: "sha256:..." or "md5:..." when the publisher's file is fixed; None when it is
    #: updated in place (then the hash recorded at the first fetch is checked)
    known_hash: str | None = None
    #: a member to take out of a zip archive (the file the readers want)
    member: str | None = None
    #: fetched when no names are given; others only when named (``--only``)
    default: bool = True


#: The national files ``init`` needs, from their publishers.
NATIONAL: tuple[Source, ...] = (
    Source(
        "lookup",
        "https://open-geography-portalx-ons.hub.arcgis.com/api/download/v1/items/"
        "b14d449ba10a48508bd05cd4a9775e2b/csv?layers=0",
        "LSOA11_LSOA21_LAD22_exact_fit_lookup_EW.csv",
        "Office for National Statistics (Open Geography Portal)",
        OGL,
        "LSOA 2011 -> LSOA 2021 -> LAD 2022 exact-fit lookup",
    ),
    Source(
        "population",
        "https://www.nomisweb.co.uk/output/census/2021/census2021-ts007a.zip",
        "census2021-ts007a-lsoa.csv",
        "Office for National Statistics (Census 2021, Nomis)",
        OGL,
        "Census 2021 TS007A age by LSOA 2021",
        member="census2021-ts007a-lsoa.csv",
    ),
    Source(
        "deprivation",
        "https://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/"
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        "Ministry of Housing, Communities and Local Government",
        OGL,
        "English Indices of Deprivation 2025 (LSOA 2021), File 7 (all scores, ranks, deciles)",
    ),
    Source(
        "deprivation2019",
        "https://assets.publishing.service.gov.uk/media/5d8b3b51ed915d036a455aa6/"
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
        "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators.csv",
        "Ministry of Housing, Communities and Local Government",
        OGL,
        "English Indices of Deprivation 2019 (LSOA 2011), File 7: for older work only",
        default=False,
    ),
    *(
        Source(
            name,
            f"https://www.nomisweb.co.uk/output/census/2021/census2021-{table}.zip",
            f"census2021-{table}-lsoa.csv",
            "Office for National Statistics (Census 2021, Nomis)",
            OGL,
            f"Census 2021 {table.upper()} {what} by LSOA 2021",
            member=f"census2021-{table}-lsoa.csv",
        )
        for name, table, what in (
            ("health", "ts037", "general health"),
            ("disability", "ts038", "disability"),
            ("cars", "ts045", "car or van availability"),
        )
    ),
    Source(
        "centroids",
        "https://open-geography-portalx-ons.hub.arcgis.com/api/download/v1/items/"
        "4b6e5a2d8d9f4b2fa2f0c9f0e3f1e6c3/csv?layers=0",
        "LSOA21_population_weighted_centroids.csv",
        "Office for National Statistics (Open Geography Portal)",
        OGL,
        "LSOA 2021 population-weighted centroids",
    ),
    Source(
        "gp",
        "https://media.nhswebsite.nhs.uk/data/foi/GP.csv",
        "GP.csv",
        "NHS.UK",
        OGL,
        "GP practices with coordinates",
    ),
    Source(
        "pharmacy",
        "https://media.nhswebsite.nhs.uk/data/foi/Pharmacy.csv",
        "Pharmacy.csv",
        "NHS.UK",
        OGL,
        "pharmacies with coordinates",
    ),
    Source(
        "hospital",
        "https://media.nhswebsite.nhs.uk/data/foi/Hospital.csv",
        "Hospital.csv",
        "NHS.UK",
        OGL,
        "hospitals with coordinates",
    ),
)

GEOFABRIK = "https://download.geofabrik.de/europe/united-kingdom/england/{county}-latest.osm.pbf"


def county_extract(county: str) -> Source:
    """The Geofabrik extract of an English county (its ``.md5`` is checked).

    Parameters
    ----------
    county : str
        Geofabrik's name for it (``rutland``, ``west-yorkshire``, ...).

    Returns
    -------
    Source
    """
    slug = county.strip().lower().replace(" ", "-")
    return Source(
        f"osm-{slug}",
        GEOFABRIK.format(county=slug),
        f"{slug}-latest.osm.pbf",
        "Geofabrik (OpenStreetMap data)",
        "Open Database Licence (© OpenStreetMap contributors)",
        f"OpenStreetMap extract of {county}",
    )


@dataclass
class Fetched:
    """What one fetch wrote, as recorded in ``FETCHED.json``."""

    name: str
    path: str
    url: str
    sha256: str
    bytes: int
    fetched: str
    publisher: str
    licence: str
    what: str
    downloaded: bool


class ResumingDownloader:
    """A pooch downloader that resumes a broken download where it stopped.

    What arrives is appended to ``<folder>/.partial/<name>.part``; a retry asks for the
    rest with an HTTP ``Range`` request, and starts again only if the server cannot
    resume (it answers the whole file, or the range is past the end).
    """

    def __init__(self, partial: Path, *, timeout: float = 60.0, chunk: int = 1 << 16) -> None:
        self.partial = partial
        self.timeout = timeout
        self.chunk = chunk

    def __call__(self, url: str, output_file: Any, pooch: Any, check_only: bool = False) -> Any:
        import requests

        if check_only:  # pooch asks whether the file is there
            return requests.head(url, timeout=self.timeout, allow_redirects=True).ok

        self.partial.parent.mkdir(parents=True, exist_ok=True)
        have = self.partial.stat().st_size if self.partial.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if response.status_code == 416:  # what we hold is complete or stale: start again
                self.partial.unlink()
                return self(url, output_file, pooch)
            response.raise_for_status()
            mode = "ab" if response.status_code == 206 else "wb"
            if have and mode == "wb":
                logger.info("%s: the server cannot resume; downloading it again", url)
            with self.partial.open(mode) as handle:
                # small blocks, flushed: a connection dropped mid-block loses that block
                for block in response.iter_content(chunk_size=self.chunk):
                    handle.write(block)
                    handle.flush()
        target = output_file if isinstance(output_file, str | Path) else None
        if target is None:  # pooch may pass an open file
            with self.partial.open("rb") as source:
                shutil.copyfileobj(source, output_file)
            self.partial.unlink()
        else:
            shutil.move(str(self.partial), str(target))
        return None


def fetch(
    out: Path,
    *,
    names: Sequence[str] | None = None,
    county: str | None = None,
    sources: Sequence[Source] = NATIONAL,
    urls: dict[str, str] | None = None,
    retries: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[Fetched]:
    """Download the national files (and a county's OSM extract) into ``out``.

    Parameters
    ----------
    out : pathlib.Path
        The data folder (``init --data``); created if needed.
    names : sequence of str, optional
        Which sources (default those of ``sources`` marked ``default``: IoD 2025, not
        2019).
    county : str, optional
        Also fetch this county's OpenStreetMap extract from Geofabrik.
    sources : sequence of Source
        What may be fetched (default :data:`NATIONAL`).
    urls : dict, optional
        Name -> address, for a file the publisher has moved.
    retries : int
        Further attempts after a dropped connection or a checksum mismatch.
    progress : callable, optional
        Called with a line per file.

    Returns
    -------
    list of Fetched
        Also recorded in ``out/FETCHED.json``.

    Raises
    ------
    FetchError
        Offline, a file not found at its address, or bytes that never matched.
    """
    import pooch

    say = progress or (lambda message: logger.info(message))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if names is None:
        chosen = [s for s in sources if s.default]
    else:
        chosen = [s for s in sources if s.name in names]
    unknown = sorted(set(names or []) - {s.name for s in sources})
    if unknown:
        raise FetchError(
            f"no source named {', '.join(unknown)}; known: {', '.join(s.name for s in sources)}"
        )
    if county:
        extract = county_extract(county)
        chosen.append(replace(extract, known_hash=_geofabrik_md5(extract, urls, say)))
    record = _read_record(out)
    done: list[Fetched] = []
    # pooch logs each download to stderr itself; a library run says it through ours
    pooch_log = pooch.get_logger()
    level = pooch_log.level
    pooch_log.setLevel(logging.WARNING)
    try:
        for source in chosen:
            done.append(_fetch_one(source, out, record, urls, retries, say))
    finally:
        pooch_log.setLevel(level)
    return done


def _fetch_one(
    source: Source,
    out: Path,
    record: dict[str, Any],
    urls: dict[str, str] | None,
    retries: int,
    say: Callable[[str], None],
) -> Fetched:
    import pooch

    url = (urls or {}).get(source.name, source.url)
    download = source.filename if source.member is None else f"{source.filename}.zip"
    known = source.known_hash or _recorded_hash(record, source, out / download)
    store = pooch.create(
        path=out, base_url="", registry={download: known}, urls={download: url},
        retry_if_failed=retries,
    )  # fmt: skip
    existed = (out / download).exists()
    say(f"{source.name}: {url}")
    try:
        got = store.fetch(
            download,
            downloader=ResumingDownloader(out / ".partial" / f"{download}.part"),
            processor=_unzip(source) if source.member else None,
        )
    except Exception as exc:
        raise _fetch_error(source, url, exc) from None
    path = out / source.member if source.member else Path(got)
    fetched = _fetched(source, url, out / download, path, downloaded=not existed)
    if existed and source.name in record:  # kept as it was: so is the date it came
        fetched.fetched = record[source.name].get("fetched", fetched.fetched)
        fetched.downloaded = fetched.sha256 != record[source.name].get("sha256")
    record[source.name] = asdict(fetched)
    _write_record(out, record)
    return fetched


def _unzip(source: Source) -> Any:
    import pooch

    return pooch.Unzip(members=[source.member], extract_dir=".")


def _geofabrik_md5(
    source: Source, urls: dict[str, str] | None, say: Callable[[str], None]
) -> str | None:
    """Geofabrik publishes an ``.md5`` beside each extract: the known checksum."""
    import requests

    url = (urls or {}).get(source.name, source.url) + ".md5"
    try:
        response = requests.get(url, timeout=30)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise _fetch_error(source, url, exc) from None
    digest = response.text.split()[0] if response.text.strip() else ""
    if len(digest) != 32:
        say(f"{source.name}: no checksum at {url}; the file's own hash will be recorded")
        return None
    return f"md5:{digest}"


def _fetch_error(source: Source, url: str, exc: Exception) -> FetchError:
    import requests

    host = urlparse(url).netloc
    if isinstance(exc, requests.ConnectionError):
        return FetchError(
            f"{source.name}: could not reach {host} ({type(exc).__name__}); you seem to be "
            "offline or behind a proxy: connect (or set HTTPS_PROXY) and run the same "
            "command again; files already fetched are kept and a broken download resumes"
        )
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return FetchError(
            f"{source.name}: {host} answered {exc.response.status_code} for {url}; the "
            f"publisher may have moved the file: find it on their site and pass "
            f"--url {source.name}=NEW_ADDRESS"
        )
    if isinstance(exc, ValueError) and "hash" in str(exc).lower():
        return FetchError(
            f"{source.name}: the file from {url} did not match its checksum after "
            "retrying; the download is damaged or the publisher changed the file: delete "
            f"its entry in {RECORD} to accept a new version"
        )
    return FetchError(f"{source.name}: download from {url} failed: {exc}")


def _read_record(out: Path) -> dict[str, Any]:
    path = out / RECORD
    return json.loads(path.read_text()) if path.exists() else {}


def _write_record(out: Path, record: dict[str, Any]) -> None:
    tmp = out / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out / RECORD)


def _recorded_hash(record: dict[str, Any], source: Source, download: Path) -> str | None:
    """The hash recorded when the file was first fetched, while the file is there."""
    entry = record.get(source.name)
    if entry and download.exists() and entry.get("url") and entry.get("sha256"):
        return f"sha256:{entry['sha256']}"
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fetched(source: Source, url: str, download: Path, path: Path, *, downloaded: bool) -> Fetched:
    return Fetched(
        name=source.name,
        path=path.name if path.parent == download.parent else str(path),
        url=url,
        sha256=_sha256(download),
        bytes=download.stat().st_size,
        fetched=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        publisher=source.publisher,
        licence=source.licence,
        what=source.what,
        downloaded=downloaded,
    )
