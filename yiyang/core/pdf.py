"""What every PDF the platform draws with reportlab shares: the Chinese font, text made safe
for reportlab's mini-markup, the ruled table with a shaded header row, and the A4 document.
Chinese uses reportlab's built-in CID font STSong-Light, so no font file is embedded."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Table, TableStyle

CID_FONT = "STSong-Light"


def cid_font() -> str:
    """The Chinese font's name, registered with reportlab on first use."""
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def a4_pdf(story: list[Any], *, side_mm: float, edge_mm: float, **info: Any) -> bytes:
    """The ``story`` drawn on A4 pages with margins of ``side_mm`` left and right and
    ``edge_mm`` top and bottom; ``info`` is the document's title, author... as reportlab
    takes them."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=side_mm * mm,
        rightMargin=side_mm * mm,
        topMargin=edge_mm * mm,
        bottomMargin=edge_mm * mm,
        **info,
    )
    document.build(story)
    return buffer.getvalue()


def pdf_text(value: Any) -> str:
    """Plain text made safe for reportlab's mini-markup (— for nothing)."""
    return (
        str(value if value is not None else "—")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def pdf_table(
    rows: list[list[Any]],
    widths: list[float],
    style: ParagraphStyle,
    *,
    grid: float = 0.5,
    long: bool = False,
) -> Table:
    """Rows of plain values as a ruled table, the first row shaded as its header. ``long``
    splits across pages and repeats the header row."""
    cells = [[Paragraph(pdf_text(cell), style) for cell in row] for row in rows]
    table = (LongTable if long else Table)(cells, colWidths=widths, repeatRows=1 if long else 0)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), grid, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
            ]
        )
    )
    return table
