"""Writing a planned roster import in bulk: persons, dispatch profiles, employments,
certificates. Called inside the import's transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from yiyang.core.bulk import bulk_insert
from yiyang.core.models import Division
from yiyang.organisations.models import Organisation
from yiyang.services.choices import CaregiverStatus, Qualification
from yiyang.services.models import Caregiver, Certificate
from yiyang.workforce.identity import id_fields
from yiyang.workforce.models import CertificateIssue, Employment, Person, RosterConflict
from yiyang.workforce.services.parsing import Parsed
from yiyang.workforce.services.roster import certificates_follow

BATCH = 1000
PERSON_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "education",
    "skill_level",
    "health_certificate_expires_on",
)


@dataclass
class RowPlan:
    parsed: Parsed
    provider: Organisation
    city: Division
    hash: str
    person: Person | None = None
    employment: Employment | None = None
    new: bool = False  # a new employment (nothing of it in the database before)
    moved: bool = False  # a new employment of a person already on the roster

    @property
    def values(self) -> dict[str, Any]:
        return self.parsed.values


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)
    rejected: list[Parsed] = field(default_factory=list)
    conflicts: list[tuple[Person, Organisation, Organisation]] = field(default_factory=list)

    def write_conflicts(self) -> None:
        existing = set(
            RosterConflict.objects.filter(
                person__in=[c[0] for c in self.conflicts], resolved=False
            ).values_list("person_id", "holder_id", "claimant_id")
        )
        RosterConflict.objects.bulk_create(
            RosterConflict(person=person, holder=holder, claimant=claimant)
            for person, holder, claimant in self.conflicts
            if (person.pk, holder.pk, claimant.pk) not in existing
        )


def _insert(objs: list[Any], *, set_pks: bool = False) -> None:
    """New rows in batches through the core's fast insert (bulk_create compiles SQL value
    by value: most of a 30,000-row import's time)."""
    for start in range(0, len(objs), BATCH * 5):
        bulk_insert(objs[start : start + BATCH * 5], set_pks=set_pks)


def _person_values(person: Person, row: RowPlan) -> None:
    for name in PERSON_FIELDS:
        if name in row.values:
            setattr(person, name, row.values[name])
    if not person.id_number_hash:
        for name, value in id_fields(row.values["id_number"]).items():
            setattr(person, name, value)


def _persons(plan: Plan) -> None:
    new, changed = [], []
    for row in plan.rows:
        if row.person is None:
            row.person = Person(city=row.city)
            new.append(row.person)
        else:
            changed.append(row.person)
        _person_values(row.person, row)
    _insert(new, set_pks=True)
    fields = [*PERSON_FIELDS, "id_number_hash", "id_number_ciphertext", "id_number_masked"]
    Person.objects.bulk_update(changed, fields, batch_size=BATCH)


def _status(left_on: datetime.date | None, current: str) -> str:
    if left_on is not None:
        return CaregiverStatus.LEFT
    return CaregiverStatus.ACTIVE if current == CaregiverStatus.LEFT else current


def _employments(plan: Plan) -> None:
    new_rows = [row for row in plan.rows if row.employment is None]
    caregivers = [
        Caregiver(
            provider=row.provider,
            name=row.values["name"],
            sex=row.values.get("sex", ""),
            work_start=datetime.time(8),
            work_end=datetime.time(17),
            work_days=[0, 1, 2, 3, 4],
            status=_status(row.values.get("left_on"), CaregiverStatus.ACTIVE),
        )
        for row in new_rows
    ]
    _insert(caregivers, set_pks=True)
    for row, caregiver in zip(new_rows, caregivers, strict=True):
        row.new = True
        row.employment = Employment(
            person=row.person,
            provider=row.provider,
            caregiver=caregiver,
            hired_on=row.values["hired_on"],
        )
    changed_caregivers = []
    for row in plan.rows:
        employment = row.employment
        assert employment is not None
        assert row.person is not None
        employment.person = row.person
        employment.hired_on = row.values["hired_on"]
        employment.left_on = row.values.get("left_on")
        employment.leave_reason = row.values.get("leave_reason", "") if employment.left_on else ""
        if employment.pk is not None:
            caregiver = employment.caregiver
            caregiver.name = row.values["name"]
            caregiver.status = _status(employment.left_on, caregiver.status)
            changed_caregivers.append(caregiver)
    _insert([row.employment for row in new_rows if row.employment])
    fresh = {id(row) for row in new_rows}
    Employment.objects.bulk_update(
        [row.employment for row in plan.rows if id(row) not in fresh and row.employment],
        ["person", "hired_on", "left_on", "leave_reason"],
        batch_size=BATCH,
    )
    Caregiver.objects.bulk_update(changed_caregivers, ["name", "status"], batch_size=BATCH)


def _certificates(plan: Plan) -> None:
    rows = [row for row in plan.rows if row.values.get("certificate_number")]
    caregiver_ids = [row.employment.caregiver_id for row in rows if row.employment and not row.new]
    existing = {
        (c.caregiver_id, c.number): c
        for start in range(0, len(caregiver_ids), BATCH)
        for c in Certificate.objects.filter(caregiver_id__in=caregiver_ids[start : start + BATCH])
    }
    new: list[Certificate] = []
    changed: list[Certificate] = []
    issuers: list[tuple[Certificate, str]] = []
    for row in rows:
        assert row.employment is not None
        key = (row.employment.caregiver_id, row.values["certificate_number"])
        certificate = existing.get(key) or Certificate(
            caregiver_id=key[0], qualification=Qualification.ELDER_CARE_WORKER, number=key[1]
        )
        certificate.issued_on = row.values.get("certificate_issued_on", certificate.issued_on)
        certificate.expires_on = row.values.get("certificate_expires_on", certificate.expires_on)
        (changed if certificate.pk else new).append(certificate)
        if row.values.get("certificate_issuer"):
            issuers.append((certificate, row.values["certificate_issuer"]))
    _insert(new, set_pks=True)
    Certificate.objects.bulk_update(changed, ["issued_on", "expires_on"], batch_size=BATCH)
    for start in range(0, len(changed), BATCH):
        CertificateIssue.objects.filter(certificate__in=changed[start : start + BATCH]).delete()
    _insert([CertificateIssue(certificate=c, issuer=issuer) for c, issuer in issuers])


def plan_write(plan: Plan) -> None:
    _persons(plan)
    _employments(plan)
    _certificates(plan)
    certificates_follow(
        moves={
            row.person.pk: row.employment.caregiver_id
            for row in plan.rows
            if row.moved and row.person and row.employment
        }
    )
