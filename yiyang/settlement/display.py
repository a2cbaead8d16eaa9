"""Words for the settlement's codes: hold reasons with their details, risk factors, money."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from yiyang.elders.choices import ElderStatus
from yiyang.settlement.choices import HoldReason, RiskFactor
from yiyang.visits.choices import FlagCode


def yuan(value: Decimal | None) -> str:
    """Money as yuan with fen and thousands separators (¥1,234.50)."""
    if value is None:
        return "—"
    return f"¥{value:,.2f}"


def line_labels() -> list[str]:
    """The headings a statement line is shown under in every document (the workbook adds
    its insurance and self-pay columns, both add payable and status)."""
    return [
        _("Source"),
        _("Date"),
        _("Elder"),
        _("Service"),
        _("Caregiver"),
        _("Price (yuan)"),
        _("Allowance claimed (yuan)"),
    ]


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def hold_text(reason: str, detail: dict[str, Any]) -> str:
    """A hold reason and its details as one sentence in the reader's language."""
    base = _label(HoldReason, reason)
    extra = ""
    if reason in (HoldReason.FLAG_UNREVIEWED, HoldReason.FLAG_UPHELD) and detail.get("flags"):
        extra = "、".join(_label(FlagCode, f) for f in detail["flags"])
    elif reason == HoldReason.ELDER_UNAVAILABLE:
        extra = _label(ElderStatus, detail.get("status", ""))
        if "share" in detail:  # a monthly package: the month's share of the days present
            extra += _("; away %(away)s of %(days)s days, the month's share %(share)s yuan") % {
                "away": detail["away_days"],
                "days": detail["days"],
                "share": detail["share"],
            }
    elif reason == HoldReason.ELDER_AWAY and "metres" in detail:
        at = datetime.datetime.fromisoformat(detail["at"])
        extra = _("%(metres)s m from home at %(time)s") % {
            "metres": detail["metres"],
            "time": f"{at:%H:%M}",
        }
    elif reason == HoldReason.ALLOWANCE_EXCEEDED:
        extra = _("%(total)s yuan this month against %(limit)s yuan a month") % detail
    elif reason == HoldReason.NO_VERIFIED_VISIT:
        extra = _("%(visits)s visits, none verified") % {"visits": detail.get("visits", 0)}
    elif reason == HoldReason.CERTIFICATE_EXPIRED and detail.get("expired_on"):
        extra = _("expired on %(date)s") % {"date": detail["expired_on"]}
    return f"{base}（{extra}）" if extra else base


def package_text(contract: Any) -> str:
    """A package contract's terms in words ("" for one paying unit prices)."""
    if contract.package_yuan is None:
        return ""
    text = _("%(amount)s a month per elder served") % {"amount": yuan(contract.package_yuan)}
    if contract.package_min_visits:
        text += _(", in full from %(n)s verified visits (fewer: pro-rated)") % {
            "n": contract.package_min_visits
        }
    return text


def factor_text(factor: dict[str, Any]) -> str:
    """What a risk factor found, in words, e.g. "12 of 80 visits (15.0%)"."""
    code = factor["code"]
    if code == RiskFactor.RATINGS:
        if not factor["numerator"]:
            return _("no ratings")
        return _("%(n)s ratings, %(low).0f%% below the best") % {
            "n": factor["numerator"],
            "low": factor["value"] * 100,
        }
    if code == RiskFactor.MONTH_END:
        return _(
            "%(n)s of %(d)s visits in the last three days (%(excess).0f%% above an even spread)"
        ) % {"n": factor["numerator"], "d": factor["denominator"], "excess": factor["value"] * 100}
    return _("%(n)s of %(d)s visits (%(share).1f%%)") % {
        "n": factor["numerator"],
        "d": factor["denominator"],
        "share": factor["value"] * 100,
    }


def factor_rows(factors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "label": _label(RiskFactor, f["code"]),
            "found": factor_text(f),
            "points": f["points"],
            "weight": str(f["weight"]),
        }
        for f in factors
    ]
