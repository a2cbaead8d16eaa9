"""The assessment report (GB/T 42195-2022 Annex C) as PDF, drawn with reportlab (the font,
text and tables of ``yiyang.core.pdf``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from yiyang.core.pdf import cid_font, pdf_document, pdf_table, pdf_text


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    width: float  # of the text between the margins


def _styles() -> _Styles:
    body = ParagraphStyle("body", fontName=cid_font(), fontSize=10.5, leading=15)
    return _Styles(
        body=body,
        title=ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1),
        heading=ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=8),
        width=A4[0] - 40 * mm,
    )


def report_pdf(context: dict[str, Any]) -> bytes:
    """The report of an assessment (GB/T 42195-2022 Annex C for that instrument) as a PDF."""
    s = _styles()
    story = _header(context, s) + _scores(context, s) + _signatures(context, s)
    return pdf_document(
        story,
        pagesize=A4,
        margin_mm=20,
        top_bottom_mm=18,
        title="老年人能力评估报告",
        author="Yiyang",
    )


def _header(context: dict[str, Any], s: _Styles) -> list[Flowable]:
    """The title, the elder and the reason, and the scores of the domains (C.1, C.2)."""
    assessment = context["a"]
    elder = context["elder"]
    result = context["result"]
    gbt = context["is_gbt"]
    body, width = s.body, s.width
    return [
        Paragraph(
            "老年人能力评估报告" if gbt else pdf_text(context["definition"]["title"]), s.title
        ),
        Paragraph(
            pdf_text(f"{assessment.instrument.code} {context['definition']['title']}"),
            ParagraphStyle("sub", parent=body, alignment=1, textColor=colors.grey),
        ),
        Spacer(1, 4 * mm),
        pdf_table(
            [
                [_("Elder"), elder.name, _("Reason"), assessment.get_reason_display()],
                [
                    _("Community"),
                    elder.community.name,
                    _("Date"),
                    context["date"].strftime("%Y-%m-%d"),
                ],
            ],
            [width * 0.18, width * 0.32, width * 0.18, width * 0.32],
            body,
        ),
        Paragraph(
            ("C.1 " if gbt else "") + pdf_text(_("Score of each domain")) + " 各一级指标得分",
            s.heading,
        ),
        pdf_table(
            [[_("Domain"), _("Score"), _("Maximum")]]
            + [[f"{d['code']} {d['title']}", d["total"], d["max"]] for d in result["domains"]],
            [width * 0.6, width * 0.2, width * 0.2],
            body,
        ),
        Paragraph(("C.2 " if gbt else "") + pdf_text(_("Total score")) + " 总分", s.heading),
        Paragraph(pdf_text(f"{result['total']} / {result['max_total']}"), body),
    ]


def _scores(context: dict[str, Any], s: _Styles) -> list[Flowable]:
    """The levels (C.3 to C.5 for GB/T 42195) and the answers, where shown."""
    result = context["result"]
    body, heading = s.body, s.heading
    story: list[Flowable] = []
    if context["is_gbt"]:
        story += [
            Paragraph("C.3 " + pdf_text(_("Preliminary level")) + " 初步等级", heading),
            Paragraph(
                pdf_text(f"{result['preliminary_level']} · {result['preliminary_name']}"), body
            ),
            Paragraph(
                "C.4 " + pdf_text(_("Grounds for changing the level")) + " 等级变更依据", heading
            ),
        ]
        rules = result["applied_rules"] or [{"text": "无", "evidence": []}]
        for number, rule in enumerate(rules, start=1):
            evidence = rule.get("evidence") if context["answers"] is not None else None
            line = f"{number}. {rule['text']}" + (f" ({', '.join(evidence)})" if evidence else "")
            story.append(Paragraph(pdf_text(line), body))
        story.append(Paragraph("C.5 " + pdf_text(_("Final level")) + " 最终等级", heading))
    story.append(Paragraph(pdf_text(f"{result['final_level']} · {result['final_name']}"), body))
    if context["answer_rows"]:
        story += [
            Paragraph(pdf_text(_("Answers")), heading),
            pdf_table(
                [[_("Item"), _("Points"), _("Answer")]]
                + [
                    [f"{r['item']['code']} {r['item']['title']}", r["points"], r["text"]]
                    for r in context["answer_rows"]
                ],
                [s.width * 0.28, s.width * 0.12, s.width * 0.6],
                body,
            ),
        ]
    return story


def _signatures(context: dict[str, Any], s: _Styles) -> list[Flowable]:
    """Who assessed and reviewed, when, and room for the signatures."""
    assessment = context["a"]
    width = s.width
    assessors = ", ".join(
        str(person) for person in (assessment.assessor, assessment.second_assessor) if person
    )
    return [
        Spacer(1, 6 * mm),
        pdf_table(
            [
                [_("Assessors"), assessors or "—"],
                [_("Reviewer"), context["reviewer"] or "—"],
                [_("Date"), context["date"].strftime("%Y-%m-%d")],
            ],
            [width * 0.3, width * 0.7],
            s.body,
        ),
        Spacer(1, 10 * mm),
        pdf_table(
            [["评估员签名", "评估员签名", "信息提供者签名"], ["\n\n\n", "", ""]],
            [width / 3] * 3,
            s.body,
        ),
    ]
