"""Single writes of the roster: a leave recorded, caregivers registered outside the roster
adopted into it."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver
from yiyang.workforce.choices import LeaveReason
from yiyang.workforce.models import Employment, Person, RosterConflict


@transaction.atomic
def employment_end(
    *, actor: Actor, employment: Employment, left_on: datetime.date, reason: str
) -> Employment:
    """The employer records a leave: the dispatch profile becomes ``left`` (no new visits)
    and open conflicts about the person with this employer are resolved."""
    require_perm(actor, Permission.IMPORT_ROSTER)
    if not actor.scope.covers(division_code=employment.provider.division.code,
                              organisation_id=employment.provider_id):  # fmt: skip
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
    RosterConflict.objects.filter(person=employment.person, holder=employment.provider,
                                  resolved=False).update(resolved=True)  # fmt: skip
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=employment,
        division_code=employment.provider.division.code,
        changes={"left_on": [None, left_on.isoformat()], "reason": [None, reason]},
    )  # fmt: skip
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
            person=person, provider=caregiver.provider, caregiver=caregiver, hired_on=day,
            left_on=day if left else None, leave_reason=LeaveReason.OTHER if left else "",
        )  # fmt: skip
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
        expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=REMINDER_DAYS),
        caregiver__employment__left_on__isnull=True,
    ).values_list("pk", "expires_on", "caregiver__employment__person_id",
                  "caregiver__provider_id")  # fmt: skip
    done = set(CertificateReminder.objects.filter(expires_on__gte=today).values_list(
        "certificate_id", "expires_on"))  # fmt: skip
    new = [
        CertificateReminder(
            certificate_id=pk, expires_on=expires, person_id=person, provider_id=provider
        )
        for pk, expires, person, provider in due
        if expires is not None and (pk, expires) not in done
    ]
    CertificateReminder.objects.bulk_create(new)
    return len(new)
