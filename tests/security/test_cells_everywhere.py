"""Every cell the platform writes to a CSV file or a spreadsheet goes through
``yiyang.core.cells.safe_row`` / ``safe_cell`` (issue 19, item 5: formula injection), read
from the source: a new export that writes a row without escaping fails here, before anyone
opens its file in a spreadsheet program.

The writes looked for (``csv``, ``openpyxl`` and ``xlsxwriter`` are the writers the code
uses or could use):

- ``w.writerow(x)`` and ``w.writerows(xs)`` on any receiver (only CSV writers have them);
- ``sheet.append(x)``, ``sheet.write(...)``, ``sheet.write_row(...)``, ``sheet[...] = x`` on
  a worksheet: a name bound to ``book.active``, ``book.create_sheet(...)``,
  ``book.add_worksheet(...)``, an item of ``book.worksheets``, a parameter annotated as a
  worksheet, or a name that says it is one (``sheet``, ``ws``, ``worksheet``, ``*_sheet``);
- ``x.cell(row, column, value)`` / ``x.cell(..., value=...)`` and ``x.cell(...).value = v``.

A written value is escaped when it is a call of ``safe_row``/``safe_cell``, a list or tuple
of escaped values or of constants that cannot run as formulas (``[]``, numbers, plain text),
a comprehension producing escaped values, or a call of a function of the same module all of
whose ``return`` statements give escaped values.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from yiyang.core.cells import FORMULA_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "yiyang"
ESCAPERS = {"safe_row", "safe_cell"}
SHEET_NAME = re.compile(r"^(ws|sheet|worksheet)\d*$|_(ws|sheet|worksheet)$")
SHEET_MAKERS = {"create_sheet", "add_worksheet", "get_worksheet_by_name"}
SHEET_WRITES = {"append", "write", "write_row", "write_column", "write_string"}


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


class _Checker(ast.NodeVisitor):
    def __init__(self, tree: ast.Module, path: str) -> None:
        self.path = path
        self.offences: list[str] = []
        self.writes = 0
        self.sheets: set[str] = set()
        self.safe_functions = self._safe_functions(tree)

    # --- which expressions are escaped -----------------------------------------------------

    def _safe_functions(self, tree: ast.Module) -> set[str]:
        """Functions of the module whose every return gives an escaped value (iterated,
        since one such function may return another's result)."""
        functions = {
            node.name: node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        safe: set[str] = set()
        self.safe_functions = safe
        changed = True
        while changed:
            changed = False
            for name, function in functions.items():
                if name in safe:
                    continue
                returns = [
                    node
                    for node in ast.walk(function)
                    if isinstance(node, ast.Return) and node.value is not None
                ]
                if returns and all(self.escaped(r.value) for r in returns if r.value):
                    safe.add(name)
                    changed = True
        return safe

    def escaped(self, node: ast.expr) -> bool:
        name = _called_name(node)
        if name is not None and (name in ESCAPERS or name in self.safe_functions):
            return True
        if isinstance(node, ast.Constant):
            return not (isinstance(node.value, str) and node.value.startswith(FORMULA_PREFIXES))
        if isinstance(node, ast.List | ast.Tuple):
            return all(self.escaped(element) for element in node.elts)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.escaped(node.elt)
        if isinstance(node, ast.DictComp):  # csv.DictWriter rows
            return self.escaped(node.value)
        if isinstance(node, ast.Dict):
            return all(self.escaped(value) for value in node.values)
        if isinstance(node, ast.IfExp):
            return self.escaped(node.body) and self.escaped(node.orelse)
        return False

    def escaped_rows(self, node: ast.expr) -> bool:
        """The argument of ``writerows``: rows each escaped."""
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.escaped(node.elt)
        if isinstance(node, ast.List | ast.Tuple):
            return all(self.escaped(element) for element in node.elts)
        if _called_name(node) == "map" and isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            return isinstance(first, ast.Name) and first.id in ESCAPERS
        return False

    # --- which names are worksheets ------------------------------------------------------

    def _is_sheet(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.sheets or bool(SHEET_NAME.search(node.id))
        if isinstance(node, ast.Attribute):
            return node.attr == "active" or bool(SHEET_NAME.search(node.attr))
        return _called_name(node) in SHEET_MAKERS

    def _makes_sheet(self, value: ast.expr) -> bool:
        return (isinstance(value, ast.Attribute) and value.attr == "active") or (
            _called_name(value) in SHEET_MAKERS
        )

    def visit_Assign(self, node: ast.Assign) -> None:
        if self._makes_sheet(node.value):
            self.sheets |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for target in node.targets:
            if isinstance(target, ast.Subscript) and self._is_sheet(target.value):
                self._require(node.value, node, "sheet[...] = value")
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "value"
                and _called_name(target.value) == "cell"
            ):
                self._require(node.value, node, "sheet.cell(...).value = value")
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if (
            isinstance(node.iter, ast.Attribute)
            and node.iter.attr == "worksheets"
            and isinstance(node.target, ast.Name)
        ):
            self.sheets.add(node.target.id)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None and "Worksheet" in ast.unparse(node.annotation):
            self.sheets.add(node.arg)
        self.generic_visit(node)

    # --- the writes ----------------------------------------------------------------------

    def _require(self, value: ast.expr, node: ast.AST, what: str) -> None:
        self.writes += 1
        if not self.escaped(value):
            line = getattr(node, "lineno", 0)
            self.offences.append(f"{self.path}:{line}: {what}: {ast.unparse(value)[:80]}")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver, method = func.value, func.attr
            if method == "writerow" and node.args:
                self._require(node.args[0], node, "writerow")
            elif method == "writerows" and node.args:
                self.writes += 1
                if not self.escaped_rows(node.args[0]):
                    self.offences.append(
                        f"{self.path}:{node.lineno}: writerows: {ast.unparse(node.args[0])[:80]}"
                    )
            elif method == "cell":
                value = next((k.value for k in node.keywords if k.arg == "value"), None)
                if value is None and len(node.args) >= 3:
                    value = node.args[2]
                if value is not None:
                    self._require(value, node, "cell(value=...)")
            elif method in SHEET_WRITES and self._is_sheet(receiver):
                # sheet.append(row); xlsxwriter's sheet.write(row, column, value)
                index = 0 if method == "append" else 2
                if len(node.args) > index:
                    self._require(node.args[index], node, f"sheet.{method}")
        self.generic_visit(node)


def _check(text: str, path: str = "<snippet>") -> _Checker:
    tree = ast.parse(text)
    checker = _Checker(tree, path)
    checker.visit(tree)
    return checker


def offences_in(text: str, path: str = "<snippet>") -> list[str]:
    return _check(text, path).offences


def _sources() -> Iterator[Path]:
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts or "tests" in parts:
            continue
        yield path


def test_every_csv_and_spreadsheet_cell_the_code_writes_is_escaped() -> None:
    offences: list[str] = []
    for path in _sources():
        offences += offences_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert offences == []


def test_the_scan_reaches_the_known_writers() -> None:
    """The scan means something only if it sees the writers that exist (every module that
    imports csv, openpyxl or xlsxwriter to write, at least)."""
    writers = {
        str(path.relative_to(ROOT))
        for path in _sources()
        if _check(path.read_text(encoding="utf-8")).writes
    }
    assert {
        "yiyang/indicators/report.py",
        "yiyang/dashboard/web/tables.py",
        "yiyang/facilities/planning.py",
        "yiyang/settlement/documents.py",
        "yiyang/core/web/csv.py",
        "yiyang/elders/exports.py",
        "yiyang/elders/import_report.py",
        "yiyang/workforce/exports.py",
        "yiyang/demo/addresses.py",
    } <= writers


UNESCAPED = [
    "sheet = book.active\nsheet.append([name, 1])",
    "holds = book.create_sheet('x')\nholds.append(row)",
    "def f(ws):\n    ws.append(table.header)",
    "def f(page: Worksheet):\n    page.append([title])",
    "for page in book.worksheets:\n    page.append(['=1+2'])",
    "writer = csv.writer(out)\nwriter.writerow(columns)",
    "writer.writerows(rows)",
    "writer.writerows([r for r in rows])",
    "sheet.cell(row=1, column=1, value=name)",
    "sheet.cell(1, 1, name)",
    "sheet.cell(row=1, column=1).value = name",
    "sheet['A1'] = name",
    "worksheet.write(0, 0, name)",
    "sheet.append([safe_cell(a), b])",
    "sheet.append(['=SUM(A1:A2)'])",
    "def row():\n    return [x]\nsheet.append(row())",
]

ESCAPED = [
    "sheet = book.active\nsheet.append(safe_row([name, 1]))",
    "sheet.append([])",
    "sheet.append([safe_cell(v) for v in row])",
    "sheet.append(safe_row(v for v in row))",
    "writer.writerow(safe_row(columns))",
    "writer.writerows(safe_row(r) for r in rows)",
    "writer.writerows(map(safe_row, rows))",
    "writer.writerow({k: safe_cell(v) for k, v in row.items()})",
    "sheet.cell(row=1, column=1, value=safe_cell(name))",
    "sheet['A1'] = safe_cell(name)",
    "def row():\n    return safe_row([x])\nsheet.append(row())",
    "lines.append(name)",  # a list, not a worksheet
    "self.stdout.write(name)",  # a stream, not a worksheet
]


@pytest.mark.parametrize("snippet", UNESCAPED)
def test_the_scan_fails_on_an_unescaped_write(snippet: str) -> None:
    assert len(offences_in(snippet)) == 1, snippet


@pytest.mark.parametrize("snippet", ESCAPED)
def test_the_scan_passes_an_escaped_write(snippet: str) -> None:
    assert offences_in(snippet) == [], snippet
