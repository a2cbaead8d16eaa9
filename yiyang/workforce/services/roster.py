"""Single writes of the roster: a leave recorded, caregivers registered outside the roster
adopted into it, certificates that follow a person to a new employer, a full ID number shown."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver, Certificate
from yiyang.workforce.choices import LeaveReason
from yiyang.workforce.identity import id_number_of
from yiyang.workforce.models import CertificateIssue, Employment, Person, RosterConflict
from yiyang.workforce.selectors import certificate_key, may_export_roster, person_queryset


@transaction.atomic
def employment_end(
    *, actor: Actor, employment: Employment, left_on: datetime.date, reason: str
) -> Employment:
    """The employer records a leave: the dispatch profile becomes ``left`` (no new visits)
    and open conflicts about the person with this employer are resolved."""
    require_perm(actor, Permission.IMPORT_ROSTER)
    if not actor.scope.covers(
        division_code=employment.provider.division.code, organisation_id=employment.provider_id
    ):
        raise PermissionDenied("employment")
    errors: dict[str, str] = {}
    if employment.left_on is not None:
        errors["left_on"] = _("The leave is already recorded.")
    elif left_on < employment.hired_on:
        errors["left_on"] = _("The leave date is before the hire date (%(hired)s).") % {
            "hired": employment.hired_on.isoformat()
        }
    if reason not in LeaveReason.values:
        errors["reason"] = _("Choose a reason from the list.")
    if errors:
        raise ValidationError(errors)
    employment.left_on, employment.leave_reason = left_on, reason
    employment.save(update_fields=["left_on", "leave_reason", "updated_at"])
    Caregiver.objects.filter(pk=employment.caregiver_id).update(status=CaregiverStatus.LEFT)
    RosterConflict.objects.filter(
        person=employment.person, holder=employment.provider, resolved=False
    ).update(resolved=True)
    audit_change(
        actor,
        AuditAction.UPDATE,
        employment,
        {"left_on": [None, left_on.isoformat()], "reason": [None, reason]},
        division_code=employment.provider.division.code,
    )
    return employment


@transaction.atomic
def person_adopt_caregivers() -> int:
    """Every dispatch profile without an employment (registered through the services app)
    gets a person and an open employment from its registration day: the rule of migration
    ``0002_adopt_caregivers``, for caregivers registered since. Returns how many."""
    cities = {d.code[:4]: d for d in Division.objects.filter(level="city")}
    adopted = 0
    for caregiver in Caregiver.objects.filter(employment__isnull=True).select_related(
        "provider__division"
    ):
        city = cities.get(caregiver.provider.division.code[:4])
        if city is None:
            continue
        person = Person.objects.create(city=city, name=caregiver.name, sex=caregiver.sex)
        day = caregiver.created_at.date()
        left = caregiver.status == CaregiverStatus.LEFT
        Employment.objects.create(
            person=person,
            provider=caregiver.provider,
            caregiver=caregiver,
            hired_on=day,
            left_on=day if left else None,
            leave_reason=LeaveReason.OTHER if left else "",
        )
        adopted += 1
    return adopted


REMINDER_DAYS = 30


@transaction.atomic
def certificate_reminders_create(*, today: datetime.date | None = None) -> int:
    """Remind caregiver and employer of every certificate of a current employment that
    expires within 30 days; once per certificate and expiry date (a renewal that moves the
    date is reminded again). Run daily (``yiyang remind-certificates``). Returns how many."""
    from django.utils import timezone

    from yiyang.services.models import Certificate
    from yiyang.workforce.models import CertificateReminder

    today = today or timezone.localdate()
    due = Certificate.objects.filter(
        expires_on__gte=today,
        expires_on__lte=today + datetime.timedelta(days=REMINDER_DAYS),
        caregiver__employment__left_on__isnull=True,
    ).values_list("pk", "expires_on", "caregiver__employment__person_id", "caregiver__provider_id")
    done = set(
        CertificateReminder.objects.filter(expires_on__gte=today).values_list(
            "certificate_id", "expires_on"
        )
    )
    new = [
        CertificateReminder(
            certificate_id=pk, expires_on=expires, person_id=person, provider_id=provider
        )
        for pk, expires, person, provider in due
        if expires is not None and (pk, expires) not in done
    ]
    CertificateReminder.objects.bulk_create(new)
    return len(new)


BATCH = 1000


def certificates_follow(*, moves: Mapping[int, int]) -> int:
    """A person hired by a new employer brings their certificates: each one held on an
    earlier dispatch profile is copied to the new one (``moves``: person id -> the new
    profile's caregiver id), so dispatch at the new employer counts it; the old profile
    keeps its rows (the history). Called inside the caller's transaction. Returns how many
    were copied."""
    targets = dict(moves)
    if not targets:
        return 0
    have: dict[int, set[tuple[str, str, object]]] = defaultdict(set)
    new: list[tuple[Certificate, CertificateIssue | None]] = []
    people = sorted(targets)
    for start in range(0, len(people), BATCH):
        chunk = people[start : start + BATCH]
        for certificate in Certificate.objects.filter(caregiver_id__in=[targets[p] for p in chunk]):
            have[certificate.caregiver_id].add(certificate_key(certificate))
        earlier = (
            Certificate.objects.filter(caregiver__employment__person_id__in=chunk)
            .exclude(caregiver_id__in=[targets[p] for p in chunk])
            .select_related("issue", "caregiver__employment")
            .order_by("issued_on", "id")
        )
        for certificate in earlier:
            target = targets[certificate.caregiver.employment.person_id]
            if certificate_key(certificate) in have[target]:
                continue
            have[target].add(certificate_key(certificate))
            copy = Certificate(
                caregiver_id=target,
                qualification=certificate.qualification,
                number=certificate.number,
                issued_on=certificate.issued_on,
                expires_on=certificate.expires_on,
            )
            issue = getattr(certificate, "issue", None)
            new.append((copy, issue))
    Certificate.objects.bulk_create([copy for copy, _issue in new], batch_size=BATCH)
    CertificateIssue.objects.bulk_create(
        [
            CertificateIssue(certificate=copy, issuer=issue.issuer, enrolment_id=issue.enrolment_id)
            for copy, issue in new
            if issue is not None
        ],
        batch_size=BATCH,
    )
    return len(new)


@transaction.atomic
def person_id_number_reveal(*, actor: Actor, person: Person) -> str:
    """A caregiver's full ID number for a role allowed to see ID numbers, within its
    jurisdiction; every reveal is in the audit log (as other sealed data is)."""
    require_perm(actor, Permission.SEE_ID_NUMBERS)
    if not person_queryset(actor=actor).filter(pk=person.pk).exists():
        raise PermissionDenied("person")
    if not person.id_number_ciphertext:
        raise ValidationError({"id_number": _("No ID number is on record for this caregiver.")})
    number = id_number_of(person)
    latest = person.employments.select_related("provider__division").order_by("-hired_on").first()
    audit_record(
        actor=actor,
        action=AuditAction.VIEW_SEALED,
        obj=person,
        division_code=latest.provider.division.code if latest else "",
        changes={"fields": ["id_number"]},
    )
    return number


def roster_export_recorded(
    *, actor: Actor, count: int, filters: dict[str, object], id_numbers: bool
) -> None:
    """Record a roster export (an export is a read that leaves the platform): how many,
    with which filters, and whether full ID numbers went with it."""
    if not may_export_roster(actor):
        raise PermissionDenied("export")
    if id_numbers:
        require_perm(actor, Permission.SEE_ID_NUMBERS)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="workforce.employment",
        object_repr=f"{count} × workforce.employment",
        division_code=actor.scope.division_prefix or "",
        changes={"filters": filters, "count": count, "fields": ["id_number"] if id_numbers else []},
    )
