"""Reading a spreadsheet (.xlsx) or a CSV file into rows keyed by column.

Only the first worksheet is read. Before anything is decompressed, the workbook's entries are
checked against the limits in settings (``IMPORT_MAX_UNCOMPRESSED_BYTES``, ``IMPORT_MAX_
COMPRESSION_RATIO``); then the sheet's XML is streamed once in small pieces (never whole) to
count its cells, find its extent and its formulas (``IMPORT_MAX_CELLS``, ``IMPORT_MAX_ROWS``);
only a sheet within every limit is handed to the fast reader. So a small file that unpacks
into gigabytes is refused with a message in a few milliseconds and a few megabytes, and a
file's memory is bounded by limits an operator sets. Fully empty rows are skipped but row
numbers stay those a spreadsheet user sees. A header row is looked for among the first rows
(files often carry a title above it). Anything that makes the file unusable as a whole raises
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
class Limits:
    """How big a file may be once unpacked; defaults from settings (``IMPORT_*``)."""

    max_rows: int
    max_cells: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_formulas: int = 100_000

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            max_rows=int(settings.IMPORT_MAX_ROWS),
            max_cells=int(settings.IMPORT_MAX_CELLS),
            max_uncompressed_bytes=int(settings.IMPORT_MAX_UNCOMPRESSED_BYTES),
            max_compression_ratio=int(settings.IMPORT_MAX_COMPRESSION_RATIO),
        )


# Entries this small may compress very well without being a threat (styles, empty sheets).
RATIO_FLOOR_BYTES = 1024 * 1024
SCAN_CHUNK_BYTES = 1024 * 1024
MAX_CELL_XML_BYTES = 8 * 1024 * 1024  # one cell's XML; Excel's own limit is far below


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
    limits: Limits | None = None,
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
    limits = limits or Limits.from_settings()
    if suffix in XLSX_SUFFIXES:
        source = _xlsx_rows(path, limits)
    elif suffix in CSV_SUFFIXES:
        source = _csv_rows(path, limits)
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
            _(
                "Missing required columns: %(columns)s (looked for the header in the first "
                "%(rows)d rows)."
            )
            % {"columns": "、".join(missing), "rows": HEADER_SEARCH_ROWS}
        )
    header_row, found, headers, unknown = header
    table = Table(
        columns=found,
        headers=headers,
        unknown_headers=unknown,
        header_row=header_row,
        rows=iter(()),
        estimated_rows=(max(estimated - header_row, 0) if estimated is not None else None),
        _closers=closers,
    )
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


def _xlsx_rows(path: Path, limits: Limits) -> _Source:
    """Rows of the first worksheet, read with calamine (Rust; about 15 times faster than
    openpyxl on a 100,000-row sheet) once :func:`_check_archive` and :func:`_scan_sheet` have
    shown the file to be within the limits. Calamine gives formulas' cached values, so the
    cells holding a formula are those the scan found."""
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise UnreadableFile(
            _("This is not an Excel workbook (.xlsx): the file is damaged or of another kind.")
        )
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, limits)
            target = _first_sheet(archive)
            formulas = _scan_sheet(archive, target, limits) if target else {}
            _verify_parts(archive, skip=target)
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise UnreadableFile(_("The workbook has no worksheet."))
        sheet = workbook.get_sheet_by_index(0)
    except UnreadableFile:
        raise
    except Exception as exc:  # calamine and zipfile raise their own types for bad files
        raise UnreadableFile(
            _("This is not a readable Excel workbook (.xlsx): %(error)s") % {"error": exc}
        ) from None
    first_row, first_column = sheet.start or (0, 0)
    estimated = sheet.height + first_row if sheet.height else None
    if sheet.height and sheet.height > limits.max_rows + HEADER_SEARCH_ROWS:
        raise UnreadableFile(_too_many_rows(sheet.height, limits))

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


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def _too_many_rows(rows: int, limits: Limits) -> str:
    return _(
        "The sheet has %(rows)d rows; at most %(limit)d can be imported at once. Split the "
        "file into smaller ones."
    ) % {"rows": rows, "limit": limits.max_rows}


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a workbook whose entries, as the archive declares them, unpack too large or
    compress suspiciously well (a "zip bomb"), before any of it is decompressed. The sizes
    are only declarations: :func:`_scan_sheet` reads through zipfile, which stops at the
    declared size and checks the CRC, so a lie makes the file unreadable, never bigger."""
    total = 0
    for info in archive.infolist():
        if info.file_size > RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise UnreadableFile(
                    _(
                        "The workbook is not an ordinary spreadsheet: part %(name)s unpacks "
                        "%(ratio)d times larger (%(size)s MB) than it is stored, more than the "
                        "%(limit)d allowed."
                    )
                    % {
                        "name": info.filename,
                        "ratio": int(ratio),
                        "size": _mb(info.file_size),
                        "limit": limits.max_compression_ratio,
                    }
                )
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise UnreadableFile(
                _(
                    "The workbook unpacks to more than %(limit)s MB (the limit for an import); "
                    "split it into smaller files."
                )
                % {"limit": _mb(limits.max_uncompressed_bytes)}
            )


_SHEET = re.compile(rb'<sheet\b[^>]*?r:id="([^"]+)"')
_TARGET = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"')
_TARGET_FIRST = re.compile(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')
_FORMULA_CELL = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?>(?:(?!</c>|<c\b).)*?<f[\s>/]', re.S
)
# A cell's reference, wherever its attribute stands (rows' r has no letters; ref= and r:id=
# of other elements do not match).
_CELL_ROW = re.compile(rb'\sr="[A-Z]{1,3}(\d{1,7})"')
_CELL_COLUMN = re.compile(rb'\sr="([A-Z]{1,3})\d')
_CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\n", b"<c\t", b"<c\r")
SMALL_PART_BYTES = 1024 * 1024  # workbook.xml and its relationships are read whole


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (letter - 64)
    return index - 1


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The archive name of the first worksheet."""
    names = {info.filename: info for info in archive.infolist()}
    target = "xl/worksheets/sheet1.xml"
    book, rels_name = names.get("xl/workbook.xml"), names.get("xl/_rels/workbook.xml.rels")
    if book is not None and rels_name is not None:
        if max(book.file_size, rels_name.file_size) > SMALL_PART_BYTES:
            raise UnreadableFile(_("The workbook's list of sheets is too large to be real."))
        first = _SHEET.search(archive.read(book))
        rels = archive.read(rels_name)
        if first is not None:
            found = {m.group(1): m.group(2) for m in _TARGET.finditer(rels)}
            found |= {m.group(2): m.group(1) for m in _TARGET_FIRST.finditer(rels)}
            relative = found.get(first.group(1), b"").decode()
            if relative:
                target = relative.lstrip("/") if relative.startswith("/") else "xl/" + relative
    return target if target in names else None


@dataclass
class _SheetScan:
    cells: int = 0
    last_row: int = 0
    last_column: int = -1
    formula_count: int = 0
    formulas: dict[int, set[int]] = field(default_factory=dict)

    def take(self, data: bytes, limits: Limits) -> None:
        self.cells += sum(data.count(start) for start in _CELL_STARTS)
        rows = _CELL_ROW.findall(data)  # C-speed passes: no Python code per cell
        if rows:
            self.last_row = max(self.last_row, max(map(int, rows)))
            columns = set(_CELL_COLUMN.findall(data))
            letters = max(columns, key=lambda c: (len(c), c))
            self.last_column = max(self.last_column, _column_index(letters))
        if b"<f" in data:
            for match in _FORMULA_CELL.finditer(data):
                self.formula_count += 1
                if self.formula_count > limits.max_formulas:
                    raise UnreadableFile(
                        _(
                            "The sheet holds more than %(limit)d formulas: copy it and paste "
                            "values only, then import that."
                        )
                        % {"limit": limits.max_formulas}
                    )
                row = int(match.group(2))
                self.formulas.setdefault(row, set()).add(_column_index(match.group(1)))
        self.check(limits)

    def check(self, limits: Limits) -> None:
        if self.cells > limits.max_cells:
            raise UnreadableFile(
                _(
                    "The sheet has more than %(limit)d cells, the limit for an import; split it "
                    "into smaller files."
                )
                % {"limit": limits.max_cells}
            )
        if self.last_row > limits.max_rows + HEADER_SEARCH_ROWS:
            raise UnreadableFile(_too_many_rows(self.last_row, limits))
        if self.last_row * (self.last_column + 1) > limits.max_cells * 2:
            # The fast reader holds the sheet's whole rectangle: one cell at the far corner
            # would make it allocate billions.
            raise UnreadableFile(
                _(
                    "The sheet's cells spread over %(rows)d rows and %(columns)d columns, more "
                    "than an import can hold; delete the empty columns and rows at its edges."
                )
                % {"rows": self.last_row, "columns": self.last_column + 1}
            )


def _verify_parts(archive: zipfile.ZipFile, *, skip: str | None) -> None:
    """Read every other large part once, a megabyte at a time, discarding it: zipfile stops at
    the declared size and checks the CRC, so a part that would unpack beyond what the archive
    declares (and :func:`_check_archive` allowed) fails here, before the fast reader (which
    has its own zip code) sees it."""
    for info in archive.infolist():
        if info.filename == skip or info.file_size <= SMALL_PART_BYTES:
            continue
        with archive.open(info) as stream:
            while stream.read(SCAN_CHUNK_BYTES):
                pass


def _cell_end(data: bytes) -> int | None:
    """Where the cell that ``data`` starts with ends, if it is all there."""
    tag_end = data.find(b">")
    if tag_end == -1:
        return None
    if data[tag_end - 1 : tag_end] == b"/":
        return tag_end + 1
    close = data.find(b"</c>", tag_end)
    return None if close == -1 else close + 4


def _scan_sheet(archive: zipfile.ZipFile, target: str, limits: Limits) -> dict[int, frozenset[int]]:
    """Stream the sheet's XML once, a megabyte at a time: count its cells, find its extent
    and the cells holding a formula (row -> 0-based columns). Refuses a sheet beyond the
    limits as soon as it is seen to be."""
    scan = _SheetScan()
    pending = b""
    with archive.open(target) as stream:
        while True:
            chunk = stream.read(SCAN_CHUNK_BYTES)
            if not chunk:
                break
            pending += chunk
            # Cells never nest: everything before the last cell's start is whole cells.
            cut = pending.rfind(b"<c")
            if cut > 0:
                scan.take(pending[:cut], limits)
                pending = pending[cut:]
                continue
            if cut == 0:
                end = _cell_end(pending)
                if end is None:
                    if len(pending) > MAX_CELL_XML_BYTES:
                        raise UnreadableFile(_("The worksheet is damaged: a cell is too large."))
                    continue
                scan.take(pending[:end], limits)
                pending = pending[end:]
            # No cell starts in what is left: keep only a tag the chunk may have cut in two.
            last = pending.rfind(b"<")
            pending = pending[last:] if last >= 0 else b""
        scan.take(pending, limits)
    return {row: frozenset(columns) for row, columns in scan.formulas.items()}


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


def _csv_rows(path: Path, limits: Limits) -> _Source:
    text = _decode(path)
    first_line = text.readline()
    text.seek(0)
    delimiter = max([",", "\t", ";"], key=first_line.count) if first_line else ","
    reader = csv.reader(text, delimiter=delimiter)
    total_lines = text.getvalue().count("\n")
    if total_lines > limits.max_rows + HEADER_SEARCH_ROWS:
        text.close()
        raise UnreadableFile(_too_many_rows(total_lines, limits))

    def generate() -> Iterator[tuple[int, list[object], frozenset[int]]]:
        try:
            for number, row in enumerate(reader, start=1):
                yield number, list(row), frozenset()
        except csv.Error as exc:
            raise UnreadableFile(
                _("The CSV file is malformed: %(error)s") % {"error": exc}
            ) from None

    return generate(), total_lines or None, [text.close]
