"""``estate-planner fetch`` against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from estate_planner.cli import main
from estate_planner.fetch import RECORD, FetchError, Source, fetch

BODY = ("LSOA11CD,LSOA21CD,LAD22CD\n" + "E01000001,E01000001,E09000001\n" * 20000).encode()


@dataclass
class Files:
    """What the server serves and how it misbehaves; what it was asked."""

    content: dict[str, bytes] = field(default_factory=dict)
    corrupt: dict[str, int] = field(default_factory=dict)  # path -> answers to spoil
    cut: dict[str, int] = field(default_factory=dict)  # path -> answers to break off
    asked: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range)
    sent: list[int] = field(default_factory=list)  # body bytes per answer


def handler(files: Files) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            files.asked.append((self.path, self.headers.get("Range")))
            body = files.content.get(self.path)
            if body is None:
                self.send_error(404)
                return
            start = 0
            if self.headers.get("Range"):
                start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_error(416)
                    return
            part = body[start:]
            if files.corrupt.get(self.path, 0) > 0:
                files.corrupt[self.path] -= 1
                part = part[:-10] + b"X" * 10
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(part)))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            if files.cut.get(self.path, 0) > 0:  # the line drops half way
                files.cut[self.path] -= 1
                half = len(part) // 2
                self.wfile.write(part[:half])
                self.wfile.flush()
                files.sent.append(half)
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(part)
            files.sent.append(len(part))

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Files]]:
    files = Files()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(files))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


def source(base: str, known: bool = True) -> Source:
    digest = hashlib.sha256(BODY).hexdigest()
    return Source(
        "lookup", f"{base}/lookup.csv", "lookup.csv", "ONS", "OGL", "a lookup",
        known_hash=f"sha256:{digest}" if known else None,
    )  # fmt: skip


def test_a_download_is_verified_and_recorded(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    files.content["/lookup.csv"] = BODY
    (got,) = fetch(tmp_path, sources=[source(base)])
    assert (tmp_path / "lookup.csv").read_bytes() == BODY
    record = json.loads((tmp_path / RECORD).read_text())["lookup"]
    assert record["sha256"] == hashlib.sha256(BODY).hexdigest() == got.sha256
    assert record["bytes"] == len(BODY) and record["url"] == f"{base}/lookup.csv"
    assert dt.datetime.fromisoformat(record["fetched"]).date() == dt.datetime.now(dt.UTC).date()
    assert record["licence"] == "OGL" and got.downloaded
    # a second fetch finds it there, verified: nothing is downloaded, the date is kept
    (again,) = fetch(tmp_path, sources=[source(base)])
    assert len(files.asked) == 1 and not again.downloaded
    assert json.loads((tmp_path / RECORD).read_text())["lookup"]["fetched"] == record["fetched"]


def test_a_corrupted_download_is_detected_and_retried(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    files.content["/lookup.csv"] = BODY
    files.corrupt["/lookup.csv"] = 1
    fetch(tmp_path, sources=[source(base)], retries=2)
    assert (tmp_path / "lookup.csv").read_bytes() == BODY
    assert len(files.asked) == 2  # the spoilt copy was thrown away and fetched again


def test_a_download_that_never_matches_fails_clearly_and_keeps_nothing(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    files.content["/lookup.csv"] = BODY
    files.corrupt["/lookup.csv"] = 99
    with pytest.raises(FetchError, match="did not match its checksum"):
        fetch(tmp_path, sources=[source(base)], retries=1)
    assert not (tmp_path / "lookup.csv").exists()


def test_an_interrupted_download_resumes_where_it_stopped(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    files.content["/lookup.csv"] = BODY
    files.cut["/lookup.csv"] = 1
    with pytest.raises(FetchError):  # no retries: the first attempt's failure is reported
        fetch(tmp_path, sources=[source(base)], retries=0)
    assert not (tmp_path / "lookup.csv").exists()
    fetch(tmp_path, sources=[source(base)], retries=0)  # run again: it resumes
    assert (tmp_path / "lookup.csv").read_bytes() == BODY
    (_, first_range), (_, second_range) = files.asked
    assert first_range is None and second_range is not None
    kept = int(second_range.removeprefix("bytes=").rstrip("-"))
    # what arrived before the break was kept (all but the block being read) ...
    assert 0 < files.sent[0] - kept < 1 << 16 and kept > 0
    # ... and only the rest was sent again
    assert files.sent[1] == len(BODY) - kept


def test_a_file_updated_in_place_keeps_its_first_hash(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    files.content["/lookup.csv"] = BODY
    fetch(tmp_path, sources=[source(base, known=False)])
    (tmp_path / "lookup.csv").write_bytes(BODY[:-5])  # damaged on disk since
    fetch(tmp_path, sources=[source(base, known=False)])
    assert (tmp_path / "lookup.csv").read_bytes() == BODY and len(files.asked) == 2


def test_a_county_extract_is_checked_against_geofabriks_md5(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    pbf = b"\x00\x00\x00\x0dOSMHeader" * 500
    files.content["/rutland-latest.osm.pbf"] = pbf
    files.content["/rutland-latest.osm.pbf.md5"] = (
        hashlib.md5(pbf).hexdigest() + "  rutland-latest.osm.pbf\n"
    ).encode()
    url = {"osm-rutland": f"{base}/rutland-latest.osm.pbf"}
    (got,) = fetch(tmp_path, names=[], county="Rutland", urls=url)
    assert (tmp_path / "rutland-latest.osm.pbf").read_bytes() == pbf
    assert "OpenStreetMap" in got.licence
    files.content["/rutland-latest.osm.pbf.md5"] = b"0" * 32 + b"  x\n"
    (tmp_path / "rutland-latest.osm.pbf").unlink()
    with pytest.raises(FetchError, match="checksum"):
        fetch(tmp_path, names=[], county="Rutland", urls=url, retries=0)


def test_the_command_fetches_and_offline_exits_2(server, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    base, files = server
    files.content["/lookup.csv"] = BODY
    out = tmp_path / "data"
    assert main(["-q", "fetch", "--out", str(out), "--only", "lookup",
                 "--url", f"lookup={base}/lookup.csv"]) == 0  # fmt: skip
    lookup = out / "LSOA11_LSOA21_LAD22_exact_fit_lookup_EW.csv"  # the publisher's name
    assert lookup.read_bytes() == BODY
    with socket.socket() as probe:  # a port nothing listens on: as good as offline
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    code = main(["-q", "fetch", "--out", str(out), "--only", "population",
                 "--url", f"population=http://127.0.0.1:{closed}/x.zip", "--retries", "0"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "offline" in err and "Traceback" not in err
    assert lookup.exists()  # nothing already fetched is lost


def test_a_moved_file_says_how_to_give_its_new_address(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    with pytest.raises(FetchError, match="--url lookup=NEW_ADDRESS"):
        fetch(tmp_path, sources=[source(base)], retries=0)


@pytest.mark.web
def test_the_publishers_addresses_answer() -> None:
    """Live: each national source's address still answers (run with --run-web)."""
    import requests

    from estate_planner.fetch import NATIONAL

    for item in NATIONAL:
        assert requests.head(item.url, timeout=30, allow_redirects=True).status_code < 400, item


def test_a_zipped_file_is_taken_out_of_its_archive(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    base, files = server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("epraccur.csv", BODY)
        archive.writestr("readme.txt", b"not wanted")
    files.content["/epraccur.zip"] = buffer.getvalue()
    gp = Source("gp", f"{base}/epraccur.zip", "epraccur.csv", "NHS", "OGL", "GPs",
                member="epraccur.csv")  # fmt: skip
    (got,) = fetch(tmp_path, sources=[gp])
    assert (tmp_path / "epraccur.csv").read_bytes() == BODY and got.path == "epraccur.csv"
    assert not (tmp_path / "readme.txt").exists()


def test_iod_2025_is_the_default_deprivation_and_census_tables_come_zipped(
    server, tmp_path: Path, shared_data: Path  # type: ignore[no-untyped-def]
) -> None:
    """The IoD 2025 File 7 and Census TS045 as their publishers serve them (here from
    127.0.0.1): fetched by default, read by the readers; IoD 2019 only when named."""
    import io
    import zipfile

    from estate_planner.fetch import NATIONAL
    from estate_planner.sources.areas import read_deprivation
    from estate_planner.sources.census import read_census_table

    base, files = server
    file7 = (shared_data / "iod2025" / "File_7_IoD2025_rows_first40.csv").read_bytes()
    files.content["/iod2025.csv"] = file7
    files.content["/iod2019.csv"] = b"not wanted"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "census2021-ts045-lsoa.csv",
            "date,geography,geography code,Number of cars or vans: Total: All households,"
            "Number of cars or vans: No cars or vans in household,Number of cars or vans: "
            "1 car or van in household\n2021,City of London 001A,E01000001,837,555,282\n",
        )
    files.content["/ts045.zip"] = buffer.getvalue()
    wanted = [s for s in NATIONAL if s.name in ("deprivation", "deprivation2019", "cars")]
    urls = {"deprivation": f"{base}/iod2025.csv", "deprivation2019": f"{base}/iod2019.csv",
            "cars": f"{base}/ts045.zip"}  # fmt: skip
    done = fetch(tmp_path, sources=wanted, urls=urls)
    assert [d.name for d in done] == ["deprivation", "cars"]  # 2019 only when named
    assert all(path != "/iod2019.csv" for path, _ in files.asked)
    iod = tmp_path / "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
    assert iod.read_bytes() == file7
    table, record = read_deprivation(iod, "LSOA21CD")
    assert record.layout.startswith("IoD 2025, File 7")
    assert table.loc["E01000001", ["imd_score", "imd_rank", "imd_decile"]].tolist() == [
        8.742, 26525, 8
    ]  # fmt: skip
    cars, _ = read_census_table(tmp_path / "census2021-ts045-lsoa.csv", "demand.cars", "cars")
    assert cars.loc["E01000001", ["total", "no cars or vans in household"]].tolist() == [837, 555]
    (older,) = fetch(tmp_path, names=["deprivation2019"], sources=wanted, urls=urls)
    assert older.name == "deprivation2019"
