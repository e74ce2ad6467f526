"""Tables as their publishers release them: CSV (any of the usual encodings, gzipped or
not) and Excel workbooks, with the faults real files carry repaired or counted.

What is handled, each repair or drop counted by reason in :attr:`Published.repairs`
and :attr:`Published.dropped`:

- UTF-8 with or without BOM, Windows-1252 (Excel's "CSV" on Windows), UTF-16 with its
  byte-order mark (Excel's "Unicode text");
- commas, semicolons (Excel's "CSV" where the list separator is one), tabs or pipes
  between cells, told apart by the first lines;
- line breaks inside quoted cells (the csv module reads them as one cell);
- a header below title rows (found by the words it must contain), and the header
  repeated inside the data;
- repeated column names (the second becomes ``name (2)``);
- rows with fewer cells than the header: blanks are put back where the row's dates
  and numbers then line up with the columns that hold dates and numbers in the other
  rows (a missing latitude shifts the rest of a row left), else at the end;
- rows with more cells: a cell broken by a stray quote is joined back together, blank
  surplus cells at the end are trimmed, and a row that still does not fit is dropped.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from estate_planner._errors import InputDataError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$|^\d{1,2}/\d{1,2}/\d{2,4}$")
_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][-+]?\d+)?$")


@dataclass
class Published:
    """A table read from a published file: every cell as stripped text."""

    frame: pd.DataFrame
    rows_read: int
    encoding: str
    repairs: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)


def read_published(
    path: Path, *, header_words: Sequence[str] = (), sheet_words: Sequence[str] = ()
) -> Published:
    """Read a CSV (``.csv``, ``.csv.gz``, ``.txt``) or Excel (``.xls``, ``.xlsx``) table.

    Parameters
    ----------
    path
        The file.
    header_words
        Words the header row must contain (case-insensitive); the first row holding all
        of them is the header. Without words, the first non-blank row.
    sheet_words
        For a workbook: words the sheet's name must contain (``["site"]`` finds ERIC's
        ``Site Data``); else the first sheet.

    Raises
    ------
    InputDataError
        If the file is missing, unreadable, or has no header row.
    """
    if not path.is_file():
        raise InputDataError(f"{path}: file not found; check the path")
    if path.name.lower().endswith((".xls", ".xlsx", ".xlsm", ".ods")):
        rows, encoding = _sheet_rows(path, sheet_words), "workbook"
    else:
        rows, encoding = _csv_rows(path)
    return _table(path, rows, encoding, header_words)


def _csv_rows(path: Path) -> tuple[list[list[str]], str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise InputDataError(f"{path}: could not read the file ({exc}); export it again") from None
    encodings: tuple[str, ...] = ("utf-8-sig", "cp1252", "latin-1")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": UTF-16, a BOM
        encodings = ("utf-16",)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputDataError(f"{path}: not readable as UTF-16 text; export it again as CSV")
    delimiter = _delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        return rows, encoding + ("" if delimiter == "," else f", {_SEPARATORS[delimiter]}")
    except csv.Error as exc:
        raise InputDataError(f"{path}: not a readable CSV ({exc}); export it again") from None


_SEPARATORS = {",": "comma", ";": "semicolon-separated", "\t": "tab-separated",
               "|": "pipe-separated"}  # fmt: skip


def _delimiter(text: str) -> str:
    """The cell separator: of comma, semicolon, tab and pipe, the one that splits the
    first lines into the most cells, the same number on each line (Excel saves
    "CSV" with semicolons where the list separator is one, and "Unicode text" with
    tabs); a comma when none splits anything."""
    lines = [line for line in text.splitlines()[:30] if line.strip()][:20]
    best, score = ",", (0, 0)
    for sep in _SEPARATORS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
        if not widths or max(widths) < 2:
            continue
        common = max(set(widths), key=widths.count)
        found = (widths.count(common), common)
        if found > score:
            best, score = sep, found
    return best


def _sheet_rows(path: Path, words: Sequence[str]) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise InputDataError(
            f"{path}: not a readable workbook ({exc}); open it in a spreadsheet and save again"
        ) from None
    names = book.sheet_names
    wanted = [n for n in names if all(w.lower() in n.lower() for w in words)] or names[:1]
    if not wanted:
        raise InputDataError(f"{path}: the workbook has no sheets")
    rows = book.get_sheet_by_name(wanted[0]).to_python(skip_empty_area=False)
    return [[_cell_text(v) for v in row] for row in rows]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole number, not "1213.0"
    return str(value)


def _table(
    path: Path, rows: list[list[str]], encoding: str, header_words: Sequence[str]
) -> Published:
    rows = [[cell.strip() for cell in row] for row in rows]
    at = _header_row(rows, header_words)
    if at is None:
        looked = f" containing {', '.join(header_words)}" if header_words else ""
        raise InputDataError(f"{path}: no header row{looked} found in the first 20 rows")
    header = _unique(rows[at])
    while header and not header[-1]:
        header.pop()
    result = Published(pd.DataFrame(), 0, encoding)
    body = []
    for row in rows[at + 1 :]:
        if not any(row):
            continue
        result.rows_read += 1
        if row[: len(header)] == rows[at][: len(header)]:
            result.dropped["the header repeated inside the data"] += 1
            continue
        body.append(row)
    kinds = _column_kinds(header, body)
    fitted = []
    for row in body:
        fit = _fit(row, header, kinds, result)
        if fit is not None:
            fitted.append(fit)
    result.frame = pd.DataFrame(fitted, columns=header, dtype=object)
    return result


def _header_row(rows: list[list[str]], words: Sequence[str]) -> int | None:
    for i, row in enumerate(rows[:20]):
        text = " ".join(row).lower()
        if not any(row):
            continue
        if all(w.lower() in text for w in words):
            return i
    return None


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 or not name else f"{name} ({seen[name]})")
    return out


def _kind(value: str) -> str:
    if not value:
        return "blank"
    if _DATE.match(value):
        return "date"
    if _NUMBER.match(value) and any(ch.isdigit() for ch in value):
        return "number"
    return "text"


def _column_kinds(header: list[str], body: list[list[str]]) -> list[str]:
    """Per column: "date" or "number" where nearly every filled cell of the rows that
    fit the header is one, else "text"."""
    fitting = [row for row in body if len(row) == len(header)][:5000]
    kinds = []
    for j in range(len(header)):
        seen = Counter(_kind(row[j]) for row in fitting)
        seen.pop("blank", None)
        total = sum(seen.values())
        top, n = seen.most_common(1)[0] if total else ("text", 0)
        kinds.append(top if total >= 5 and n >= 0.95 * total and top != "text" else "text")
    return kinds


def _fit(
    row: list[str], header: list[str], kinds: list[str], result: Published
) -> list[str] | None:
    width = len(header)
    if len(row) > width:
        row = _join_broken_quotes(row, width, result)
    if len(row) > width:
        if not any(row[width:]):
            return row[:width]  # blank cells past the last column: nothing lost
        result.dropped["more cells than the header, not re-aligned"] += 1
        return None
    if len(row) < width:
        row = _restore_missing(row, width, kinds, result)
    return row


def _join_broken_quotes(row: list[str], width: int, result: Published) -> list[str]:
    """Join back a cell a stray quote split: from a cell with an odd number of ``"`` to
    the next such cell (``Unauthorised Address", Unit 11, River St, Brighouse"``)."""
    starts = [i for i, cell in enumerate(row) if cell.count('"') % 2 == 1]
    if len(starts) < 2:
        return row
    first, last = starts[0], starts[1]
    joined = ", ".join(cell.replace('"', "").strip() for cell in row[first : last + 1])
    fixed = [*row[:first], joined, *row[last + 1 :]]
    if len(fixed) <= width:
        result.repairs["a cell split by a stray quote joined back"] += 1
        return fixed
    return row


def _restore_missing(row: list[str], width: int, kinds: list[str], result: Published) -> list[str]:
    """Put the missing cells back where the row's dates and numbers then sit under
    date and number columns; at the end when that fits as well as anywhere."""
    missing = width - len(row)
    cells = [_kind(cell) for cell in row]

    def agree(kind: str, cell: str) -> int:
        if kind == "text" or cell == "blank":
            return 0
        return 1 if cell == kind else -1

    # inserting at p: cells before p keep their columns, cells from p move right
    before = [0]
    for j, cell in enumerate(cells):
        before.append(before[-1] + agree(kinds[j], cell))
    after = [0] * (len(cells) + 1)
    for j in range(len(cells) - 1, -1, -1):
        after[j] = after[j + 1] + agree(kinds[j + missing], cells[j])
    end_score = before[len(cells)]
    best = max(range(len(cells)), key=lambda p: (before[p] + after[p], p), default=len(cells))
    if cells and before[best] + after[best] > end_score:
        result.repairs["missing cells put back where the row's values line up (row shifted)"] += 1
        return [*row[:best], *[""] * missing, *row[best:]]
    if any(kind != "text" for kind in kinds[len(row) :]):
        result.repairs["missing cells at the end of the row left blank"] += 1
    return [*row, *[""] * missing]
