"""Training: courses, sessions, enrolment, QR check-in, results and the certificates they
issue. An issued certificate is a ``services.Certificate`` on each of the person's current
dispatch profiles, so dispatch and the optimiser count it at once."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.organisations.models import Organisation
from yiyang.services.choices import Qualification
from yiyang.services.models import Certificate
from yiyang.workforce.choices import EnrolmentStatus, OrganiserKind, SkillLevel
from yiyang.workforce.models import (
    CertificateIssue,
    Course,
    Employment,
    Enrolment,
    Person,
    TrainingSession,
)
from yiyang.workforce.selectors import person_of_user


def _hours(value: Any, field: str, errors: dict[str, str]) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
        if not hours.is_finite() or not Decimal(0) <= hours <= Decimal(2000):
            raise ValueError
    except (InvalidOperation, ValueError):
        errors[field] = _("Give the hours as a number from 0 to 2,000.")
        return Decimal(0)
    return hours


def _require_organiser(actor: Actor, course: Course) -> None:
    require_perm(actor, Permission.MANAGE_TRAINING)
    scope = actor.scope
    if scope.organisation_ids is not None:
        if course.organiser_id not in scope.organisation_ids:
            raise PermissionDenied("course")
    elif not scope.covers_division_code(course.division.code):
        raise PermissionDenied("course")


@transaction.atomic
def course_create(
    *,
    actor: Actor,
    division: Division,
    name: str,
    theory_hours: Any,
    practice_hours: Any,
    organiser: Organisation | None = None,
    school: bool = False,
    target_level: str = "",
    qualification: str = "",
    certificate_valid_months: int | None = None,
) -> Course:
    """A course by the city, a district, a provider (``organiser``) or a school."""
    require_perm(actor, Permission.MANAGE_TRAINING)
    errors: dict[str, str] = {}
    if organiser is not None:
        if not actor.scope.covers(
            division_code=organiser.division.code, organisation_id=organiser.pk
        ):
            raise PermissionDenied("organiser")
        kind = OrganiserKind.SCHOOL if school else OrganiserKind.PROVIDER
        division = organiser.division
    else:
        if not actor.scope.covers_division_code(division.code):
            raise PermissionDenied("division")
        kind = OrganiserKind.CITY if division.level == "city" else OrganiserKind.DISTRICT
    course = Course(
        city=Division.objects.get(level="city", code__startswith=division.code[:4]),
        name=str(name or "").strip()[:100],
        organiser_kind=kind,
        organiser=organiser,
        division=division,
        theory_hours=_hours(theory_hours, "theory_hours", errors),
        practice_hours=_hours(practice_hours, "practice_hours", errors),
        target_level=target_level,
        qualification=qualification,
        certificate_valid_months=certificate_valid_months,
    )
    if not course.name:
        errors["name"] = _("Give the course a name.")
    if not errors and course.theory_hours + course.practice_hours <= 0:
        errors["theory_hours"] = _("A course has some hours of theory or practice.")
    if target_level and target_level not in SkillLevel.values:
        errors["target_level"] = _("Choose a skill level from the list.")
    if qualification and qualification not in Qualification.values:
        errors["qualification"] = _("Choose a qualification from the list.")
    if qualification and not (certificate_valid_months and 1 <= certificate_valid_months <= 120):
        errors["certificate_valid_months"] = _("A certificate is valid for 1 to 120 months.")
    if errors:
        raise ValidationError(errors)
    course.save()
    audit_change(
        actor,
        AuditAction.CREATE,
        course,
        {"course": [None, course.name]},
        division_code=division.code,
    )
    return course


@transaction.atomic
def session_create(
    *,
    actor: Actor,
    course: Course,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str,
    capacity: int,
) -> TrainingSession:
    _require_organiser(actor, course)
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("A session ends after it starts.")
    if not str(place or "").strip():
        errors["place"] = _("Say where the session takes place.")
    if not 1 <= int(capacity or 0) <= 10_000:
        errors["capacity"] = _("The capacity is 1 to 10,000 people.")
    if errors:
        raise ValidationError(errors)
    session = TrainingSession.objects.create(
        course=course,
        starts_at=starts_at,
        ends_at=ends_at,
        place=str(place).strip()[:200],
        capacity=int(capacity),
        checkin_token=secrets.token_urlsafe(24),
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=session, division_code=course.division.code
    )
    return session


def _current_employment(person: Person, organisation_ids: Any = None) -> Employment | None:
    employments = person.employments.filter(left_on__isnull=True)
    if organisation_ids is not None:
        employments = employments.filter(provider_id__in=sorted(organisation_ids))
    return employments.order_by("-hired_on").first()


@transaction.atomic
def enrolment_add(
    *, actor: Actor, session: TrainingSession, person: Person | None = None
) -> Enrolment:
    """A provider enrols one of its staff, an officer anyone in scope, a caregiver themself."""
    if person is None:
        require_perm(actor, Permission.ATTEND_TRAINING)
        person = person_of_user(actor)
        if person is None:
            raise PermissionDenied("person")
        employment = _current_employment(person)
    else:
        require_perm(actor, Permission.MANAGE_TRAINING)
        employment = _current_employment(person, actor.scope.organisation_ids)
        if actor.scope.organisation_ids is not None and employment is None:
            raise PermissionDenied("person")
    TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.enrolments.filter(person=person).exists():
        raise ValidationError({"person": _("Already enrolled in this session.")})
    if session.enrolments.count() >= session.capacity:
        raise ValidationError({"session": _("The session is full.")})
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": _("The session is over.")})
    enrolment = Enrolment.objects.create(
        session=session, person=person, provider=employment.provider if employment else None
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=enrolment, object_repr=f"{session} · {person}"
    )
    return enrolment


@transaction.atomic
def session_check_in(
    *, actor: Actor, session: TrainingSession, at: datetime.datetime | None = None
) -> Enrolment:
    """Attendance by scanning the session's QR code: once, and only while it is on."""
    require_perm(actor, Permission.ATTEND_TRAINING)
    person = person_of_user(actor)
    if person is None:
        raise PermissionDenied("person")
    at = at or timezone.now()
    enrolment = Enrolment.objects.select_for_update().filter(session=session, person=person).first()
    if enrolment is None:
        raise ValidationError(_("You are not enrolled in this session."))
    if enrolment.attended_at is not None:
        raise ValidationError(
            _("You already checked in at %(time)s.")
            % {"time": timezone.localtime(enrolment.attended_at).strftime("%H:%M")}
        )
    early = datetime.timedelta(minutes=settings.WORKFORCE_CHECKIN_EARLY_MINUTES)
    if not session.starts_at - early <= at <= session.ends_at:
        raise ValidationError(
            _("Check-in is open from %(start)s to %(end)s.")
            % {
                "start": timezone.localtime(session.starts_at - early).strftime("%Y-%m-%d %H:%M"),
                "end": timezone.localtime(session.ends_at).strftime("%H:%M"),
            }
        )
    enrolment.attended_at = at
    enrolment.status = EnrolmentStatus.ATTENDED
    enrolment.hours = session.course.theory_hours + session.course.practice_hours
    enrolment.save(update_fields=["attended_at", "status", "hours", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=enrolment,
        object_repr=f"{session} · {person}",
        changes={"attended_at": [None, at.isoformat()]},
    )
    return enrolment


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _issue(enrolment: Enrolment, issued_on: datetime.date) -> Certificate | None:
    course = enrolment.session.course
    employments = list(enrolment.person.employments.filter(left_on__isnull=True))
    if not employments:
        # Between employers: on the latest profile, and it follows to the next employer.
        employments = list(enrolment.person.employments.order_by("-hired_on", "-id")[:1])
    if not course.qualification or not employments:
        return None
    number = f"{course.city.code[:4]}{issued_on:%Y}{enrolment.pk:07d}"
    expires = _add_months(issued_on, int(course.certificate_valid_months or 12))
    issuer = course.organiser.name if course.organiser else course.division.name
    first = None
    for employment in employments:
        certificate = Certificate.objects.create(
            caregiver_id=employment.caregiver_id,
            qualification=course.qualification,
            number=number,
            issued_on=issued_on,
            expires_on=expires,
        )
        CertificateIssue.objects.create(certificate=certificate, issuer=issuer, enrolment=enrolment)
        first = first or certificate
    return first


@transaction.atomic
def enrolment_result_record(
    *,
    actor: Actor,
    enrolment: Enrolment,
    score: Any,
    passed: bool,
    issued_on: datetime.date | None = None,
) -> Enrolment:
    """The exam result of an attended enrolment; a pass issues the course's certificate and
    raises the person's skill level to the course's when it is higher."""
    course = enrolment.session.course
    _require_organiser(actor, course)
    errors: dict[str, str] = {}
    try:
        value = Decimal(str(score)).quantize(Decimal("0.1"))
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
            raise ValueError
    except (InvalidOperation, ValueError):
        errors["score"] = _("A score is a number from 0 to 100.")
    if enrolment.attended_at is None:
        errors["enrolment"] = _("Only those who attended can sit the exam.")
    if enrolment.status in (EnrolmentStatus.PASSED, EnrolmentStatus.FAILED):
        errors["enrolment"] = _("The result is already recorded.")
    if errors:
        raise ValidationError(errors)
    enrolment.exam_score = value
    enrolment.status = EnrolmentStatus.PASSED if passed else EnrolmentStatus.FAILED
    if passed:
        enrolment.certificate = _issue(enrolment, issued_on or timezone.localdate())
        person = enrolment.person
        if course.target_level and (
            not person.skill_level or course.target_level < person.skill_level
        ):
            person.skill_level, person.skill_level_on = course.target_level, timezone.localdate()
            person.save(update_fields=["skill_level", "skill_level_on", "updated_at"])
    enrolment.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=enrolment,
        object_repr=f"{enrolment.session} · {enrolment.person}",
        changes={"result": [None, [str(value), enrolment.status]]},
    )
    return enrolment
