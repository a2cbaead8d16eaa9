"""Reading a spreadsheet (.xlsx) or a CSV file into rows keyed by column.

Only the first worksheet is read, lazily (openpyxl's read-only mode), so a 100,000-row file
never sits in memory whole. Fully empty rows are skipped but row numbers stay those a
spreadsheet user sees. A header row is looked for among the first rows (files often carry
a title above it). Anything that makes the file unusable as a whole raises
:class:`UnreadableFile` with a message saying exactly what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from django.utils.translation import gettext as _

from yiyang.elders.columns import COLUMNS, HEADERS, REQUIRED_COLUMNS

MAX_CONSECUTIVE_EMPTY_ROWS = 10_000
HEADER_SEARCH_ROWS = 10
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
_NOTE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_SEPARATORS = re.compile(r"[\s_\-]+")


class UnreadableFile(Exception):  # noqa: N818 - the name says what callers catch
    """The file cannot be used at all; the message says why (translated)."""


@dataclass(frozen=True)
class RawRow:
    number: int
    values: dict[str, object]
    formulas: frozenset[str] = frozenset()


@dataclass
class Table:
    columns: dict[str, int]
    headers: list[str]
    unknown_headers: list[str]
    header_row: int
    rows: Iterator[RawRow]
    warnings: list[str] = field(default_factory=list)
    estimated_rows: int | None = None
    _closers: list[Any] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def normalise_header(text: object) -> str:
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    value = value.strip("*＊").strip()
    value = _NOTE.sub("", value).strip()
    value = value.strip("*＊")
    return _SEPARATORS.sub("", value).casefold()


def _alias_table(columns: Mapping[str, Sequence[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for key, aliases in columns.items():
        for alias in (key, *aliases):
            table.setdefault(normalise_header(alias), key)
    return table


def _cell_text(value: object) -> object:
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return value


def _is_empty(values: Sequence[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _describe(key: str) -> str:
    return f"{HEADERS.get(key, key)} ({key})"


def _match_header(
    cells: Sequence[object], aliases: dict[str, str]
) -> tuple[dict[str, int], list[str], list[str], list[tuple[str, str]]]:
    columns: dict[str, int] = {}
    unknown: list[str] = []
    clashes: list[tuple[str, str]] = []
    headers = ["" if c is None else str(c).strip() for c in cells]
    for index, header in enumerate(headers):
        if not header:
            continue
        key = aliases.get(normalise_header(header))
        if key is None:
            unknown.append(header)
        elif key in columns:
            clashes.append((headers[columns[key]], header))
        else:
            columns[key] = index
    return columns, headers, unknown, clashes


def open_table(
    path: Path,
    *,
    filename: str | None = None,
    columns: Mapping[str, Sequence[str]] = COLUMNS,
    required: Sequence[str] = REQUIRED_COLUMNS,
    max_bytes: int = 50 * 1024 * 1024,
) -> Table:
    name = filename or path.name
    suffix = Path(name).suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(_("Cannot open the file: %(error)s") % {"error": exc}) from None
    if size == 0:
        raise UnreadableFile(_("The file is empty."))
    if size > max_bytes:
        raise UnreadableFile(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": size / 1024 / 1024, "limit": max_bytes // (1024 * 1024)}
        )
    if suffix == ".xls":
        raise UnreadableFile(
            _("Old Excel files (.xls) cannot be read: save it as .xlsx (Excel workbook).")
        )
    if suffix in XLSX_SUFFIXES:
        source = _xlsx_rows(path)
    elif suffix in CSV_SUFFIXES:
        source = _csv_rows(path)
    else:
        raise UnreadableFile(
            _("Files of type %(suffix)s cannot be read: upload an .xlsx or .csv file.")
            % {"suffix": suffix or _("(none)")}
        )
    rows, estimated, closers = source
    try:
        return _table(rows, estimated, closers, columns=columns, required=required)
    except BaseException:
        for closer in closers:
            closer()
        raise


_Source = tuple[Iterator[tuple[int, list[object], frozenset[int]]], int | None, list[Any]]


def _table(
    rows: Iterator[tuple[int, list[object], frozenset[int]]],
    estimated: int | None,
    closers: list[Any],
    *,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Table:
    aliases = _alias_table(columns)
    best: tuple[int, dict[str, int]] | None = None
    seen = 0
    header: tuple[int, dict[str, int], list[str], list[str]] | None = None
    for number, cells, _formulas in rows:
        if _is_empty(cells):
            continue
        seen += 1
        found, headers, unknown, clashes = _match_header(cells, aliases)
        if clashes:
            first, second = clashes[0]
            raise UnreadableFile(
                _("Two columns mean the same thing: %(first)s and %(second)s. Keep one.")
                % {"first": first, "second": second}
            )
        if all(key in found for key in required):
            header = (number, found, headers, unknown)
            break
        if best is None or len(found) > len(best[1]):
            best = (number, found)
        if seen >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        if best is None:
            raise UnreadableFile(_("The file has no rows."))
        missing = [_describe(key) for key in required if key not in best[1]]
        raise UnreadableFile(
            _("Missing required columns: %(columns)s (looked for the header in the first "
              "%(rows)d rows).") % {"columns": "、".join(missing), "rows": HEADER_SEARCH_ROWS}
        )  # fmt: skip
    header_row, found, headers, unknown = header
    table = Table(
        columns=found, headers=headers, unknown_headers=unknown, header_row=header_row,
        rows=iter(()), estimated_rows=(
            max(estimated - header_row, 0) if estimated is not None else None
        ), _closers=closers,
    )  # fmt: skip
    table.rows = _data_rows(rows, table)
    return table


def _data_rows(
    rows: Iterator[tuple[int, list[object], frozenset[int]]], table: Table
) -> Iterator[RawRow]:
    empty_run = 0
    for number, cells, formulas in rows:
        if _is_empty(cells) and not formulas:
            empty_run += 1
            if empty_run >= MAX_CONSECUTIVE_EMPTY_ROWS:
                table.warnings.append(
                    _("Reading stopped at row %(row)d after %(count)d empty rows in a row.")
                    % {"row": number, "count": MAX_CONSECUTIVE_EMPTY_ROWS}
                )
                return
            continue
        empty_run = 0
        values: dict[str, object] = {}
        formula_keys: set[str] = set()
        for key, index in table.columns.items():
            value = cells[index] if index < len(cells) else None
            if index in formulas:
                formula_keys.add(key)
                value = None
            values[key] = _cell_text(value)
        yield RawRow(number=number, values=values, formulas=frozenset(formula_keys))


def _xlsx_rows(path: Path) -> _Source:
    """Rows of the first worksheet, read with calamine (Rust; about 15 times faster than
    openpyxl on a 100,000-row sheet). Calamine gives formulas' cached values, so the cells
    holding a formula are found by scanning the sheet's XML for ``<f>`` elements."""
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise UnreadableFile(
            _("This is not an Excel workbook (.xlsx): the file is damaged or of another kind.")
        )
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise UnreadableFile(_("The workbook has no worksheet."))
        sheet = workbook.get_sheet_by_index(0)
        formulas = _formula_cells(path)
    except UnreadableFile:
        raise
    except Exception as exc:  # calamine raises its own types for bad files
        raise UnreadableFile(
            _("This is not a readable Excel workbook (.xlsx): %(error)s") % {"error": exc}
        ) from None
    first_row, first_column = sheet.start or (0, 0)
    estimated = sheet.height + first_row if sheet.height else None

    def generate() -> Iterator[tuple[int, list[object], frozenset[int]]]:
        try:
            for offset, values in enumerate(sheet.iter_rows()):
                number = first_row + offset + 1
                cells: list[object] = [None] * first_column + [
                    None if value == "" else value for value in values
                ]
                marked = formulas.get(number, frozenset())
                yield number, cells, marked
        except Exception as exc:  # calamine errors surface while iterating
            raise UnreadableFile(_("The workbook is damaged: %(error)s") % {"error": exc}) from None

    return generate(), estimated, []


_SHEET = re.compile(rb'<sheet\b[^>]*?r:id="([^"]+)"')
_TARGET = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"')
_TARGET_FIRST = re.compile(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?>(?:(?!</c>).)*?<f[\s>/]', re.S)


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (letter - 64)
    return index - 1


def _formula_cells(path: Path) -> dict[int, frozenset[int]]:
    """Row number -> 0-based columns of the first sheet whose cells hold a formula."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        target = "xl/worksheets/sheet1.xml"
        if "xl/workbook.xml" in names and "xl/_rels/workbook.xml.rels" in names:
            first = _SHEET.search(archive.read("xl/workbook.xml"))
            rels = archive.read("xl/_rels/workbook.xml.rels")
            if first is not None:
                found = {m.group(1): m.group(2) for m in _TARGET.finditer(rels)}
                found |= {m.group(2): m.group(1) for m in _TARGET_FIRST.finditer(rels)}
                relative = found.get(first.group(1), b"").decode()
                if relative:
                    target = relative.lstrip("/") if relative.startswith("/") else "xl/" + relative
        if target not in names:
            return {}
        data = archive.read(target)
    if b"<f" not in data:
        return {}
    cells: dict[int, set[int]] = {}
    for match in _FORMULA_CELL.finditer(data):
        cells.setdefault(int(match.group(2)), set()).add(_column_index(match.group(1)))
    return {row: frozenset(columns) for row, columns in cells.items()}


def _decode(path: Path) -> io.StringIO:
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        raise UnreadableFile(_("This is not a text (CSV) file: it holds binary data."))
    if raw.startswith(codecs.BOM_UTF8):
        return io.StringIO(raw.decode("utf-8-sig"), newline="")
    for encoding in ("utf-8", "gb18030"):
        try:
            return io.StringIO(raw.decode(encoding), newline="")
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(_("The file's encoding is neither UTF-8 nor GBK: save it as UTF-8 CSV."))


def _csv_rows(path: Path) -> _Source:
    text = _decode(path)
    first_line = text.readline()
    text.seek(0)
    delimiter = max([",", "\t", ";"], key=first_line.count) if first_line else ","
    reader = csv.reader(text, delimiter=delimiter)
    total_lines = text.getvalue().count("\n")

    def generate() -> Iterator[tuple[int, list[object], frozenset[int]]]:
        try:
            for number, row in enumerate(reader, start=1):
                yield number, list(row), frozenset()
        except csv.Error as exc:
            raise UnreadableFile(
                _("The CSV file is malformed: %(error)s") % {"error": exc}
            ) from None

    return generate(), total_lines or None, [text.close]
