"""Pure rules of the workforce: the turnover formula and the subsidy conditions.

No database here: the selectors and services hand plain values in, so the formulas are
tested on hand-made data and read the same from the indicators, the pages and the jobs.

Turnover (离职率) over a window of whole months [start, end):

    turnover = leavers / average headcount x 100

- an employment counts on day d when ``hired_on <= d <= left_on`` (``left_on`` is the last
  working day; empty while employed);
- average headcount is the mean of the headcounts on the last day of each month of the
  window (12 points for a year), so a seasonal peak weighs as long as it lasts;
- leavers are employments whose ``left_on`` falls in the window. For the city's care sector
  a move to another care employer (reason ``transfer``) is not a leaver: the person stays;
  a provider's own turnover counts it (``count_transfers=True``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TRANSFER = "transfer"


@dataclass(frozen=True)
class Span:
    hired_on: datetime.date
    left_on: datetime.date | None
    leave_reason: str = ""


@dataclass(frozen=True)
class Turnover:
    leavers: int
    average_headcount: Decimal
    rate: Decimal | None  # percent; None when nobody was employed
    reasons: dict[str, int] = field(default_factory=dict)


def month_ends(start: datetime.date, months: int) -> list[datetime.date]:
    """The last day of each of ``months`` months from ``start`` (the first of a month)."""
    ends = []
    year, month = start.year, start.month
    for _index in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        ends.append(datetime.date(year, month, 1) - datetime.timedelta(days=1))
    return ends


def employed_on(span: Span, day: datetime.date) -> bool:
    return span.hired_on <= day and (span.left_on is None or span.left_on >= day)


def turnover(
    spans: Iterable[Span],
    *,
    start: datetime.date,
    months: int = 12,
    count_transfers: bool = False,
) -> Turnover:
    """Leavers over average headcount for the window of ``months`` months from ``start``."""
    spans = list(spans)
    ends = month_ends(start, months)
    end = ends[-1]
    heads = [sum(employed_on(s, day) for s in spans) for day in ends]
    average = (Decimal(sum(heads)) / len(heads)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    reasons: Counter[str] = Counter()
    for span in spans:
        if span.left_on is None or not start <= span.left_on <= end:
            continue
        if span.leave_reason == TRANSFER and not count_transfers:
            continue
        reasons[span.leave_reason or "other"] += 1
    leavers = sum(reasons.values())
    rate = None
    if sum(heads):
        rate = (Decimal(leavers) * 100 * len(heads) / sum(heads)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    return Turnover(leavers, average, rate, dict(reasons))


@dataclass(frozen=True)
class Facts:
    """What the subsidy rules look at, for one person in one month."""

    skill_level: str  # "1".."5" or "" (1 is the highest)
    qualifications: frozenset[str]  # held and valid on the month's last day
    sector_since: datetime.date | None  # first hire in the city's care sector
    rural_employer: bool


@dataclass(frozen=True)
class RuleTerms:
    key: int
    name: str
    kind: str
    amount: Decimal
    min_skill_level: str = ""
    qualification: str = ""
    min_years_in_sector: int = 0
    rural_only: bool = False
    valid_from: datetime.date = datetime.date.min
    valid_to: datetime.date | None = None


def full_years(since: datetime.date, day: datetime.date) -> int:
    years = day.year - since.year
    return years - ((day.month, day.day) < (since.month, since.day))


def rule_applies(rule: RuleTerms, facts: Facts, month_end: datetime.date) -> list[str] | None:
    """The conditions met (for the reason), or None when the rule does not apply."""
    month_start = month_end.replace(day=1)
    if rule.valid_from > month_end or (rule.valid_to and rule.valid_to < month_start):
        return None
    met = []
    if rule.min_skill_level:
        if not facts.skill_level or facts.skill_level > rule.min_skill_level:
            return None
        met.append(f"skill_level<={rule.min_skill_level}")
    if rule.qualification:
        if rule.qualification not in facts.qualifications:
            return None
        met.append(f"certificate:{rule.qualification}")
    if rule.min_years_in_sector:
        years = full_years(facts.sector_since, month_end) if facts.sector_since else 0
        if years < rule.min_years_in_sector:
            return None
        met.append(f"years>={rule.min_years_in_sector}")
    if rule.rural_only:
        if not facts.rural_employer:
            return None
        met.append("rural")
    return met


def best_rules(
    rules: Sequence[RuleTerms], facts: Facts, month_end: datetime.date
) -> dict[str, tuple[RuleTerms, list[str]]]:
    """For each kind, the applying rule paying most (ties: the older rule) and why. Only one
    per kind: a person is paid once a month whatever the number of rules or employers."""
    chosen: dict[str, tuple[RuleTerms, list[str]]] = {}
    for rule in sorted(rules, key=lambda r: (-r.amount, r.key)):
        if rule.kind in chosen:
            continue
        met = rule_applies(rule, facts, month_end)
        if met is not None:
            chosen[rule.kind] = (rule, met)
    return chosen


def rule_conditions(
    *, min_skill_level: str, qualification: str, min_years_in_sector: int, rural_only: bool
) -> str:
    """A rule's conditions in the reader's words (the same words as an entitlement's
    reason), or "every caregiver" when it has none."""
    from django.utils.translation import gettext as _

    codes = []
    if min_skill_level:
        codes.append(f"skill_level<={min_skill_level}")
    if qualification:
        codes.append(f"certificate:{qualification}")
    if min_years_in_sector:
        codes.append(f"years>={min_years_in_sector}")
    if rural_only:
        codes.append("rural")
    if not codes:
        return _("Every caregiver")
    return subsidy_reason("; ".join(["", *codes])).lstrip("；; ")


def subsidy_reason(reason: str) -> str:
    """An entitlement's stored reason (the rule's name, then the codes of the conditions met,
    as ``rule_applies`` writes them) in the reader's words."""
    from django.utils.translation import gettext as _

    from yiyang.core.display import is_chinese
    from yiyang.services.choices import Qualification
    from yiyang.workforce.choices import SkillLevel

    name, *codes = [part.strip() for part in reason.split(";")]
    words = [name]
    for code in codes:
        if code.startswith("skill_level<="):
            level = code.removeprefix("skill_level<=")
            label = dict(SkillLevel.choices).get(level, level)
            words.append(_("skill level %(level)s or higher") % {"level": label})
        elif code.startswith("certificate:"):
            value = code.removeprefix("certificate:")
            label = dict(Qualification.choices).get(value, _("a certificate"))
            words.append(_("holds %(certificate)s") % {"certificate": label})
        elif code.startswith("years>="):
            words.append(
                _("%(years)s years or more in the care sector")
                % {"years": code.removeprefix("years>=")}
            )
        elif code == "rural":
            words.append(_("works at a rural employer"))
    return ("；" if is_chinese() else "; ").join(str(w) for w in words)
