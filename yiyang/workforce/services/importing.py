"""Roster imports: a provider's .xlsx or .csv of caregivers into the city's roster.

One person per ID number across the city: a row whose person already works for another
provider (an open employment there) is rejected and recorded as a ``RosterConflict`` that
both providers see; it is never merged silently. A row for a person the provider already
employs (same hire date, or the open employment) updates that employment; anything else
starts a new employment, with its ``services.Caregiver`` dispatch profile. Caregivers
registered before the roster (no ID number) are matched by name within the provider.

Rows are all-or-nothing (a row is written whole or not at all); valid rows are written in
one transaction unless ``dry_run``, or ``all_or_nothing`` and a row was rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.import_report import report_xlsx
from yiyang.elders.tabular import open_table
from yiyang.organisations.models import Organisation
from yiyang.services.selectors import provider_queryset
from yiyang.workforce.columns import COLUMNS, REQUIRED_COLUMNS
from yiyang.workforce.identity import id_hash
from yiyang.workforce.models import Employment, Person
from yiyang.workforce.services.parsing import Parsed, RowError, parse_row
from yiyang.workforce.services.writing import Plan, RowPlan, plan_write

BATCH = 2000


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    conflicts: int = 0
    written: bool = False
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def report_xlsx(self) -> bytes:
        message = _("%(rejected)d of %(rows)d rows rejected.") % {
            "rejected": self.rejected,
            "rows": self.rows,
        }
        return report_xlsx(self.errors, message=message, warnings=[])


def _check_provider(actor: Actor, provider: Organisation) -> None:
    if not actor.scope.covers(
        division_code=provider.division.code if provider.division_id else None,
        organisation_id=provider.pk,
    ):
        raise PermissionDenied("provider")


class Employers:
    """The row's employer by licence number or name, among providers in the actor's scope."""

    def __init__(self, actor: Actor, default: Organisation | None) -> None:
        self.default = default
        self.by_key: dict[str, Organisation] = {}
        for org in provider_queryset(actor=actor).select_related("division"):
            self.by_key.setdefault(org.name, org)
            if org.licence_number:
                self.by_key.setdefault(org.licence_number, org)

    def __call__(self, parsed: Parsed) -> Organisation | None:
        key = parsed.values.get("employer")
        if key is None:
            if self.default is None:
                parsed.error(
                    "employer",
                    "",
                    _("Name the employer (licence number or name), or import for one provider."),
                )
            return self.default
        org = self.by_key.get(key)
        if org is None:
            parsed.error(
                "employer",
                key,
                _("No provider in your jurisdiction has this name or licence number."),
            )
        return org


def _existing(hashes: list[str]) -> tuple[dict[str, Person], dict[int, list[Employment]]]:
    persons: dict[str, Person] = {}
    for start in range(0, len(hashes), BATCH):
        for person in Person.objects.filter(id_number_hash__in=hashes[start : start + BATCH]):
            persons[str(person.id_number_hash)] = person
    employments: dict[int, list[Employment]] = {}
    ids = [p.pk for p in persons.values()]
    for start in range(0, len(ids), BATCH):
        for employment in Employment.objects.filter(
            person_id__in=ids[start : start + BATCH]
        ).select_related("caregiver", "provider"):
            employments.setdefault(employment.person_id, []).append(employment)
    return persons, employments


def _unidentified(provider_ids: set[int]) -> dict[tuple[int, str], list[Employment]]:
    """Open employments of people registered before the roster, by (provider, name)."""
    found: dict[tuple[int, str], list[Employment]] = {}
    for employment in Employment.objects.filter(
        provider_id__in=provider_ids, left_on__isnull=True, person__id_number_hash__isnull=True
    ).select_related("person", "caregiver", "provider"):
        found.setdefault((employment.provider_id, employment.person.name), []).append(employment)
    return found


def _city_of(provider: Organisation, cities: dict[str, Division]) -> Division | None:
    return cities.get(provider.division.code[:4])


def _match(row: RowPlan, employments: list[Employment], plan: Plan) -> Employment | bool | None:
    """The employment a row updates, None for a new one, False for a conflict (reported)."""
    same = [e for e in employments if e.provider_id == row.provider.pk]
    for employment in same:
        if employment.hired_on == row.values["hired_on"]:
            return employment
    for employment in same:
        if employment.left_on is None:
            return employment
    others = [e for e in employments if e.provider_id != row.provider.pk and e.left_on is None]
    if others and row.values.get("left_on") is None:
        holder = others[0]
        row.parsed.error(
            "id_number",
            "",
            _(
                "This person is on the roster of %(holder)s (hired %(hired)s). The two providers "
                "must settle it: the other records the leave date first."
            )
            % {"holder": holder.provider.name, "hired": holder.hired_on.isoformat()},
        )
        plan.conflicts.append((holder.person, holder.provider, row.provider))
        return False
    return None


def _plan(parsed_rows: list[Parsed], employers: Employers) -> Plan:
    plan = Plan()
    cities = {d.code[:4]: d for d in Division.objects.filter(level="city")}
    candidates: list[RowPlan] = []
    seen: dict[str, int] = {}
    for parsed in parsed_rows:
        provider = employers(parsed)
        number = parsed.values.get("id_number")
        key = id_hash(number) if number else ""
        if number:
            if key in seen:
                parsed.error(
                    "id_number", "", _("The same ID number is on row %(row)d.") % {"row": seen[key]}
                )
            seen.setdefault(key, parsed.row)
        if parsed.errors or provider is None:
            plan.rejected.append(parsed)
            continue
        city = _city_of(provider, cities)
        if city is None:
            parsed.error("employer", provider.name, _("The employer lies in no city."))
            plan.rejected.append(parsed)
            continue
        candidates.append(RowPlan(parsed, provider, city, key))
    persons, employments = _existing([row.hash for row in candidates])
    unidentified = _unidentified({row.provider.pk for row in candidates})
    for row in candidates:
        person = persons.get(row.hash)
        if person is None:
            adopt = unidentified.get((row.provider.pk, row.values["name"]), [])
            if len(adopt) == 1:
                row.person, row.employment = adopt[0].person, adopt[0]
                unidentified.pop((row.provider.pk, row.values["name"]))
            plan.rows.append(row)
            continue
        row.person = person
        match = _match(row, employments.get(person.pk, []), plan)
        if match is False or match is True:
            plan.rejected.append(row.parsed)
            continue
        row.employment = match
        # A new employment of someone already on the roster: a move, and their
        # certificates follow (``services.roster.certificates_follow``).
        row.moved = match is None
        plan.rows.append(row)
    return plan


def roster_import(
    *,
    actor: Actor,
    path: Path,
    filename: str | None = None,
    provider: Organisation | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
) -> ImportResult:
    """Import a roster file; raises ``UnreadableFile`` when the file cannot be used at all."""
    require_perm(actor, Permission.IMPORT_ROSTER)
    if provider is not None:
        _check_provider(actor, provider)
    with open_table(path, filename=filename, columns=COLUMNS, required=REQUIRED_COLUMNS) as table:
        parsed_rows = [parse_row(raw) for raw in table.rows]
    plan = _plan(parsed_rows, Employers(actor, provider))
    result = ImportResult(rows=len(parsed_rows), rejected=len(plan.rejected), dry_run=dry_run)
    result.errors = sorted((e for p in plan.rejected for e in p.errors), key=lambda e: e.row)
    result.conflicts = len(plan.conflicts)
    result.created = sum(row.employment is None for row in plan.rows)
    result.updated = len(plan.rows) - result.created
    if dry_run:
        return result
    with transaction.atomic():
        plan.write_conflicts()
        if not (all_or_nothing and plan.rejected):
            plan_write(plan)
            result.written = True
        audit_record(
            actor=actor,
            action=AuditAction.IMPORT,
            object_type="workforce.roster",
            object_repr=filename or path.name,
            division_code=provider.division.code if provider else "",
            changes={
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "rejected": result.rejected,
                "written": result.written,
            },
        )
    return result


__all__ = ["ImportResult", "roster_import"]
