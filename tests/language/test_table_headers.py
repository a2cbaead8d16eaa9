"""No table has an empty header cell (axe's empty-table-header): a column of actions or of
row labels has a header for screen readers, hidden on screen."""

from __future__ import annotations

import re
from pathlib import Path

import yiyang

EMPTY_TH = re.compile(r"<th\b[^>]*>\s*(<span[^>]*>\s*</span>\s*)?</th>", re.S)


def test_no_template_has_an_empty_table_header() -> None:
    root = Path(yiyang.__file__).parent
    empty = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for match in EMPTY_TH.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            empty.append(f"{template.relative_to(root)}:{line}")
    assert not empty, empty
