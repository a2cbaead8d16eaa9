"""District and street scorecards (督导考核): each district's (or street's) work scored from
indicators of the city's catalogue with weights that are the city's configuration
(``schemes/scorecard.json``, or the file SUPERVISION_SCORECARD_FILE names), ranked, with
the month-by-month history, plus the supervision figures a district is asked about
(inspections done against plan, overdue rectifications, complaints answered in time,
star levels in force).

The score of a division is the weighted mean of its component scores, each the
indicator's percentage (100 minus it where lower is better); a component without a value
(nothing to divide by) is left out and the weights of the others carry the score, and the
page says so. Reads only: every figure comes from the indicators' own computations.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.utils.translation import gettext as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicators import Indicator, IndicatorValue, Period, catalogue, quantise
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.supervision.indicators import levels_in_force

DEFAULT_FILE = Path(__file__).resolve().parent / "schemes" / "scorecard.json"
# The supervision figures shown beside the score (not weighted unless the file says so).
FIGURES = (
    "inspections_done_share",
    "rectifications_overdue",
    "complaints_answered_on_time_share",
    "fire_safety_compliance",
)
LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Weighting:
    source: str
    weights: dict[str, Decimal]  # indicator code -> weight
    unknown: tuple[str, ...]  # codes in the file that are not percentages of the catalogue


@dataclass
class ScoreRow:
    division: Division
    score: Decimal | None
    rank: int | None = None
    components: dict[str, IndicatorValue | None] = field(default_factory=dict)
    figures: dict[str, IndicatorValue | None] = field(default_factory=dict)
    levels: dict[int, int] = field(default_factory=dict)
    history: list[tuple[datetime.date, Decimal | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Scorecard:
    month: datetime.date
    level: str
    weighting: Weighting
    indicators: dict[str, Indicator]
    rows: list[ScoreRow]
    months: list[datetime.date]


def weighting_load(path: str | Path | None = None) -> Weighting:
    """The city's weights; a file that is not a JSON object of positive numbers fails fast
    (it is configuration, read at every request, and a wrong one must not score silently)."""
    path = Path(path or getattr(settings, "SUPERVISION_SCORECARD_FILE", "") or DEFAULT_FILE)
    try:
        # Trusted: the weights file is deployment configuration (settings name it).
        data = json.loads(path.read_text(encoding="utf-8"))  # noqa: TID251
        weights = {str(code): Decimal(str(w)) for code, w in data["weights"].items()}
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise ImproperlyConfigured(f"scorecard weights {path}: {exc}") from exc
    if not weights or any(not w.is_finite() or w <= 0 for w in weights.values()):
        raise ImproperlyConfigured(f"scorecard weights {path}: every weight must be positive")
    known = catalogue()
    usable = {c for c in weights if c in known and known[c].unit == "percent"}
    return Weighting(
        source=str(data.get("source", "")),
        weights={c: w for c, w in weights.items() if c in usable},
        unknown=tuple(c for c in weights if c not in usable),
    )


def component_score(indicator: Indicator, value: IndicatorValue | None) -> Decimal | None:
    """0..100: the percentage, turned round when lower is better; None without a value."""
    if value is None or value.value is None:
        return None
    share = min(max(value.value, Decimal(0)), Decimal(100))
    return share if indicator.direction == "higher" else Decimal(100) - share


def weighted_score(
    weights: dict[str, Decimal], scores: dict[str, Decimal | None]
) -> Decimal | None:
    """The weighted mean of the components that have a score; None when none has."""
    present = {code: s for code, s in scores.items() if s is not None and code in weights}
    total = sum((weights[code] for code in present), Decimal(0))
    if not total:
        return None
    return quantise(sum((weights[c] * s for c, s in present.items()), Decimal(0)) / total)


def scorecard_divisions(*, actor: Actor, level: str) -> list[Division]:
    """The districts (or streets) inside the actor's jurisdiction."""
    require_perm(actor, Permission.VIEW_SCORECARDS)
    if level not in (DivisionLevel.DISTRICT, DivisionLevel.STREET):
        level = DivisionLevel.DISTRICT
    return [
        d
        for d in Division.objects.filter(level=level).order_by("code")
        if actor.scope.covers_division_code(d.code)
    ]


def _values(
    codes: Any, period: Period, divisions: list[Division], known: dict[str, Indicator]
) -> dict[str, dict[int, IndicatorValue]]:
    """Each indicator's values for the divisions (none at a level it is not defined for)."""
    level = divisions[0].level if divisions else DivisionLevel.DISTRICT
    return {
        code: known[code].compute(period, divisions) if level in known[code].levels else {}
        for code in codes
        if code in known
    }


def _scores(
    period: Period, divisions: list[Division], weighting: Weighting, known: dict[str, Indicator]
) -> tuple[dict[int, Decimal | None], dict[str, dict[int, IndicatorValue]]]:
    values = _values(weighting.weights, period, divisions, known)
    scores = {
        d.pk: weighted_score(
            weighting.weights,
            {code: component_score(known[code], values[code].get(d.pk)) for code in values},
        )
        for d in divisions
    }
    return scores, values


def _levels(period: Period, divisions: list[Division]) -> dict[int, dict[int, int]]:
    rows = levels_in_force(period).values("division_code", "level").annotate(n=Count("pk"))
    found: dict[int, dict[int, int]] = {d.pk: dict.fromkeys(LEVELS, 0) for d in divisions}
    for row in rows:
        for d in divisions:
            if row["division_code"].startswith(d.code_prefix) and row["level"] in LEVELS:
                found[d.pk][row["level"]] += row["n"]
    return found


def _months_back(month: datetime.date, count: int) -> list[datetime.date]:
    months = [month]
    while len(months) < count:
        months.append((months[-1] - datetime.timedelta(days=1)).replace(day=1))
    return list(reversed(months))


def scorecard_build(
    *, actor: Actor, month: datetime.date, level: str = DivisionLevel.DISTRICT, history: int = 6
) -> Scorecard:
    """The ranked scorecard of the actor's districts (or streets) for ``month``, with the
    score of each of the ``history`` months up to it."""
    divisions = scorecard_divisions(actor=actor, level=level)
    weighting = weighting_load()
    known = catalogue()
    period = Period.of(month)
    scores, values = _scores(period, divisions, weighting, known)
    figures = _values(FIGURES, period, divisions, known)
    levels = _levels(period, divisions)
    months = _months_back(period.start, max(1, history))
    past = {m: _scores(Period.of(m), divisions, weighting, known)[0] for m in months[:-1]}
    past[period.start] = scores
    rows = [
        ScoreRow(
            division=d,
            score=scores[d.pk],
            components={code: values[code].get(d.pk) for code in weighting.weights},
            figures={code: figures[code].get(d.pk) for code in figures},
            levels=levels[d.pk],
            history=[(m, past[m][d.pk]) for m in months],
        )
        for d in divisions
    ]
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.division.code))
    for n, row in enumerate(r for r in rows if r.score is not None):
        row.rank = n + 1
    used = {code: known[code] for code in [*weighting.weights, *figures]}
    return Scorecard(period.start, level, weighting, used, rows, months)


def scorecard_table(card: Scorecard) -> tuple[list[str], list[list[Any]]]:
    """The scorecard as rows for an export, headed in words: rank, division, score, each
    component, the supervision figures and the institutions at each star level."""
    codes = list(card.weighting.weights)
    figures = [c for c in FIGURES if c in card.indicators]
    header = [_("Rank"), _("Division code"), _("Division"), _("Score")]
    header += [str(card.indicators[c].name) for c in [*codes, *figures]]
    header += [str(_("Institutions at %(n)d stars") % {"n": n}) for n in LEVELS]
    rows = []
    for row in card.rows:
        values = [row.components.get(c) for c in codes] + [row.figures.get(c) for c in figures]
        rows.append(
            [
                row.rank or "",
                row.division.code,
                row.division.name,
                "" if row.score is None else row.score,
                *["" if v is None or v.value is None else v.value for v in values],
                *[row.levels.get(n, 0) for n in LEVELS],
            ]
        )
    return [str(h) for h in header], rows
