"""Reads of the roster, training and subsidies, scoped to the actor.

A provider sees its own staff (employments at its organisations, past and present); a
district or street its providers' staff; the city everyone. A person is visible when one
of their employments is; their whole history then shows (a move keeps the record).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import Http404

from yiyang.core.display import choice_label
from yiyang.core.lookups import get_or_404
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, has_perm, require_perm
from yiyang.elders.choices import Sex
from yiyang.elders.tags import age_on
from yiyang.services.models import Certificate
from yiyang.workforce.choices import EnrolmentStatus
from yiyang.workforce.models import (
    Course,
    Employment,
    Enrolment,
    Person,
    RosterConflict,
    SubsidyEntitlement,
    TrainingSession,
)
from yiyang.workforce.rules import Span, Turnover, subsidy_reason, turnover


def employment_queryset(*, actor: Actor) -> QuerySet[Employment]:
    """Employments at providers in the actor's scope."""
    require_perm(actor, Permission.VIEW_CAREGIVERS)
    return actor.scope.apply(
        Employment.objects.all(),
        division_code_field="provider__division__code",
        organisation_field="provider_id",
    )


def roster_list(*, actor: Actor) -> QuerySet[Employment]:
    """The roster: one row per person and employer, newest hire first (filter with
    ``filtersets.RosterFilterSet``; current employments by default)."""
    return (
        employment_queryset(actor=actor)
        .select_related("person", "provider")
        .order_by("person__name", "id")
    )


def employment_get_for_actor(*, actor: Actor, external_id: Any) -> Employment:
    return get_or_404(roster_list(actor=actor), external_id=external_id)


def person_queryset(*, actor: Actor) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=employment_queryset(actor=actor).values("person_id"))


def person_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Person:
    return get_or_404(person_queryset(actor=actor), external_id=external_id)


def person_of_user(user: Any) -> Person | None:
    """The roster person behind a caregiver's login (their own record, the check-in)."""
    if not getattr(user, "is_authenticated", False):
        return None
    employment = Employment.objects.filter(caregiver__user=user).select_related("person").first()
    return employment.person if employment else None


def certificate_key(certificate: Certificate) -> tuple[str, str, object]:
    """What makes two certificate rows the same certificate of one person: a copy on the
    dispatch profile of a later employer (``services.certificates_follow``) is the same."""
    return (certificate.qualification, certificate.number, certificate.expires_on)


def person_certificates(person: Person, employments: list[Employment]) -> list[Certificate]:
    """The person's certificates, each once (the copy at a current employer first)."""
    current = {e.caregiver_id for e in employments if e.left_on is None}
    rows = list(
        Certificate.objects.filter(caregiver__employment__person=person)
        .select_related("caregiver__provider", "issue")
        .order_by("-expires_on", "id")
    )
    chosen: dict[tuple[str, str, object], Certificate] = {}
    for certificate in rows:
        key = certificate_key(certificate)
        held = chosen.get(key)
        if held is None or (
            certificate.caregiver_id in current and held.caregiver_id not in current
        ):
            chosen[key] = certificate
    return [c for c in rows if chosen.get(certificate_key(c)) is c]


def _with_reasons(rows: Any) -> list[Any]:
    rows = list(rows)
    for row in rows:
        row.reason_text = subsidy_reason(row.reason)
    return rows


def person_record(person: Person) -> dict[str, Any]:
    """Everything on a person's page: employment history, certificates (of every employment,
    as dispatch reads them), training, contests, subsidies, this year's hours."""
    employments = list(
        person.employments.select_related("provider", "caregiver").order_by("-hired_on", "-id")
    )
    certificates = person_certificates(person, employments)
    enrolments = list(
        person.enrolments.select_related("session__course").order_by("-session__starts_at")
    )
    today = datetime.date.today()
    year = today.year
    hours = sum(
        (e.hours for e in enrolments if e.attended_at and e.attended_at.year == year), Decimal(0)
    )
    return {
        "employments": employments,
        "certificates": certificates,
        "enrolments": enrolments,
        "contests": list(person.contest_entries.select_related("contest", "provider")),
        "subsidies": _with_reasons(person.subsidies.select_related("provider").order_by("-month")),
        "hours_this_year": hours,
        "age": age_on(person.birth_date, today) if person.birth_date else None,
        "sex_label": choice_label(Sex, person.sex),
        "hours_required": Decimal(settings.WORKFORCE_TRAINING_HOURS_MIN),
        "conflicts": list(
            person.conflicts.filter(resolved=False).select_related("holder", "claimant")
        ),
        "reminders": list(
            person.reminders.filter(expires_on__gte=datetime.date.today()).select_related(
                "certificate"
            )
        ),
    }


def roster_conflicts(*, actor: Actor) -> QuerySet[RosterConflict]:
    """Open conflicts where either provider is in scope: both see them."""
    require_perm(actor, Permission.VIEW_CAREGIVERS)
    holder = actor.scope.q(
        division_code_field="holder__division__code", organisation_field="holder_id"
    )
    claimant = actor.scope.q(
        division_code_field="claimant__division__code", organisation_field="claimant_id"
    )
    if holder is None or claimant is None:
        return RosterConflict.objects.none()
    return RosterConflict.objects.filter(holder | claimant, resolved=False).select_related(
        "person", "holder", "claimant"
    )


def _city_codes(actor: Actor) -> set[str]:
    """The 4-digit city prefixes an actor works in (training is organised city by city)."""
    prefix = actor.scope.division_prefix
    if prefix is not None and len(prefix) >= 4:
        return {prefix[:4]}
    if prefix is not None:  # the whole platform
        return {
            code[:4]
            for code in Division.objects.filter(level="city").values_list("code", flat=True)
        }
    ids = actor.scope.organisation_ids or frozenset()
    from yiyang.organisations.models import Organisation

    return {
        code[:4]
        for code in Organisation.objects.filter(pk__in=ids).values_list("division__code", flat=True)
    }


def course_queryset(*, actor: Actor) -> QuerySet[Course]:
    """Courses of the cities the actor works in: open to every provider of the city."""
    if not (
        has_perm(actor, Permission.VIEW_CAREGIVERS) or has_perm(actor, Permission.ATTEND_TRAINING)
    ):
        require_perm(actor, Permission.VIEW_CAREGIVERS)
    codes = [code + "00000000" for code in _city_codes(actor)]
    return Course.objects.filter(city__code__in=codes).select_related("organiser", "division")


def session_queryset(*, actor: Actor) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(course__in=course_queryset(actor=actor)).select_related(
        "course"
    )


def session_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> TrainingSession:
    return get_or_404(session_queryset(actor=actor), external_id=external_id)


def session_by_token(*, token: str) -> TrainingSession:
    """The session a scanned QR code names (the token is its only key; 404 otherwise)."""
    session = TrainingSession.objects.select_related("course").filter(checkin_token=token).first()
    if session is None or not token:
        raise Http404
    return session


def session_enrolments(*, actor: Actor, session: TrainingSession) -> QuerySet[Enrolment]:
    """Enrolments of a session: the organiser sees all, a provider its own staff."""
    enrolments = session.enrolments.select_related("person", "provider", "certificate")
    own = actor.scope.organisation_ids
    if own is not None and session.course.organiser_id not in own:
        return enrolments.filter(provider_id__in=sorted(own))
    return enrolments


def attended_count(session: TrainingSession) -> int:
    return session.enrolments.exclude(status=EnrolmentStatus.ENROLLED).count()


def employment_spans(queryset: QuerySet[Employment]) -> list[Span]:
    return [
        Span(hired, left, reason)
        for hired, left, reason in queryset.values_list("hired_on", "left_on", "leave_reason")
    ]


def roster_turnover(
    *, actor: Actor, start: datetime.date, provider_id: int | None = None
) -> Turnover:
    """12-month turnover of the actor's roster (or one provider's, transfers counted)."""
    employments = employment_queryset(actor=actor)
    if provider_id is not None:
        employments = employments.filter(provider_id=provider_id)
    return turnover(
        employment_spans(employments), start=start, count_transfers=provider_id is not None
    )


def subsidy_list(*, actor: Actor, month: datetime.date | None = None) -> QuerySet[Any]:
    require_perm(actor, Permission.VIEW_CAREGIVERS)
    entitlements = actor.scope.apply(
        SubsidyEntitlement.objects.select_related("person", "provider", "rule"),
        division_code_field="provider__division__code",
        organisation_field="provider_id",
    )
    return entitlements.filter(month=month) if month else entitlements


def subsidy_total(entitlements: QuerySet[SubsidyEntitlement]) -> Decimal:
    return entitlements.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def certificate_list(*, actor: Actor) -> QuerySet[Certificate]:
    """Certificates of the caregivers on the actor's roster (as dispatch reads them)."""
    return Certificate.objects.filter(
        caregiver__employment__in=employment_queryset(actor=actor)
    ).select_related("caregiver", "issue")


def subsidy_rule_list(*, actor: Actor) -> QuerySet[Any]:
    from yiyang.workforce.models import SubsidyRule

    require_perm(actor, Permission.VIEW_CAREGIVERS)
    codes = _city_codes(actor)
    return SubsidyRule.objects.filter(city__code__in=[c + "00000000" for c in codes])


def actor_city(actor: Actor) -> Division | None:
    """The city an actor works in (the first, for an organisation in several)."""
    codes = sorted(_city_codes(actor))
    return Division.objects.filter(level="city", code__in=[c + "00000000" for c in codes]).first()


def actor_division(actor: Actor) -> Division | None:
    """The division a course of this actor's own belongs to: their district or city."""
    division = getattr(actor, "division", None)
    return division if isinstance(division, Division) else actor_city(actor)


def certificate_reminders(*, actor: Actor) -> QuerySet[Any]:
    """Reminders of certificates not yet expired, for the employers in the actor's scope."""
    from yiyang.workforce.models import CertificateReminder

    require_perm(actor, Permission.VIEW_CAREGIVERS)
    return actor.scope.apply(
        CertificateReminder.objects.filter(expires_on__gte=datetime.date.today()),
        division_code_field="provider__division__code",
        organisation_field="provider_id",
    ).select_related("person", "certificate", "provider")


def may_export_roster(actor: Actor) -> bool:
    """Who may take the roster away as a file: those who may export data, and those who
    upload rosters (a provider its own staff, to edit and upload again). Full ID numbers
    go only to roles that may see them."""
    return has_perm(actor, Permission.VIEW_CAREGIVERS) and (
        has_perm(actor, Permission.EXPORT_DATA) or has_perm(actor, Permission.IMPORT_ROSTER)
    )


def subsidy_rule_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Any:
    return get_or_404(subsidy_rule_list(actor=actor), external_id=external_id)


def subsidy_list_shown(*, actor: Actor, month: datetime.date) -> list[Any]:
    """A month's entitlements for a page, each with its reason in words."""
    return _with_reasons(
        subsidy_list(actor=actor, month=month).order_by("person__name", "kind")[:500]
    )


def contest_list(*, actor: Actor) -> QuerySet[Any]:
    """Skills contests of the cities the actor works in (results are public to the city)."""
    from yiyang.workforce.models import Contest

    require_perm(actor, Permission.VIEW_CAREGIVERS)
    codes = [code + "00000000" for code in _city_codes(actor)]
    return Contest.objects.filter(city__code__in=codes).select_related("city")


def contest_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Any:
    return get_or_404(contest_list(actor=actor), external_id=external_id)


def contest_entries(contest: Any) -> QuerySet[Any]:
    return contest.entries.select_related("person", "provider").order_by(
        "event", "rank", "person__name"
    )


def current_staff(*, actor: Actor) -> QuerySet[Person]:
    """People with a current employment in the actor's scope (to enter, to enrol)."""
    employments = employment_queryset(actor=actor).filter(left_on__isnull=True)
    return Person.objects.filter(pk__in=employments.values("person_id")).order_by("name", "id")


def workforce_figures(*, actor: Actor, today: datetime.date) -> dict[str, Any]:
    """The roster in figures for the actor's scope: 12-month turnover (the last 12 whole
    months; a move to another care employer is not a leaver) with the leavers' reasons,
    the skill-level mix of those employed, certificates expiring within 30 days."""
    from django.db.models import Count, Q

    from yiyang.workforce.choices import LeaveReason, SkillLevel

    start = datetime.date(today.year - 1, today.month, 1)
    employments = employment_queryset(actor=actor)
    window = employments.filter(hired_on__lt=today.replace(day=1)).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=start)
    )
    result = turnover(employment_spans(window), start=start)
    labels = dict(LeaveReason.choices)
    reasons = sorted(result.reasons.items(), key=lambda item: (-item[1], item[0]))
    counts = dict(
        employments.filter(left_on__isnull=True)
        .values_list("person__skill_level")
        .annotate(n=Count("id"))
        .values_list("person__skill_level", "n")
    )
    mix = [(label, counts.get(code, 0)) for code, label in SkillLevel.choices]
    return {
        "start": start,
        "end": month_end_before(today),
        "turnover": result,
        "reasons": [(labels.get(code, labels["other"]), n) for code, n in reasons],
        "mix": mix,
        "no_level": counts.get("", 0),
        "employed": sum(counts.values()),
        "expiring": certificate_reminders(actor=actor).count(),
    }


def month_end_before(day: datetime.date) -> datetime.date:
    return day.replace(day=1) - datetime.timedelta(days=1)


# The settlement pays the entitlements: one source kind per subsidy kind, so a line's
# (kind, payee, month) says "this person's post subsidy of this month" on its own.
BILLING_KINDS = {"entry": "caregiver_entry", "post": "caregiver_post"}


def billable_subsidies(
    first: datetime.date,
    last: datetime.date,
    provider_ids: Any = None,
    *,
    billing_kind: str | None = None,
) -> list[dict[str, Any]]:
    """The month's entitlements not yet paid, as plain rows for the settlement run: the
    person is the payee, through the employer the rules chose (its dispatch profile at that
    employer names them on the statement), counted where the employer is registered."""
    entitlements = SubsidyEntitlement.objects.filter(
        month__gte=first, month__lte=last, paid_at__isnull=True
    ).select_related("person", "provider__division")
    if provider_ids is not None:
        entitlements = entitlements.filter(provider_id__in=list(provider_ids))
    if billing_kind is not None:
        kinds = [kind for kind, billed in BILLING_KINDS.items() if billed == billing_kind]
        entitlements = entitlements.filter(kind__in=kinds)
    rows = list(entitlements.order_by("id"))
    profiles: dict[tuple[int, int], int] = {}
    for person_id, provider_id, caregiver_id in (
        Employment.objects.filter(person_id__in={e.person_id for e in rows})
        .order_by("hired_on", "id")
        .values_list("person_id", "provider_id", "caregiver_id")
    ):
        profiles[(person_id, provider_id)] = caregiver_id  # the latest employment wins
    return [
        {
            "kind": BILLING_KINDS[e.kind],
            "source_id": e.id,
            "elder_id": None,
            "person_id": e.person_id,
            "caregiver_id": profiles.get((e.person_id, e.provider_id)),
            "division_code": e.provider.division.code,
            "provider_id": e.provider_id,
            "date": e.month,
            "description": f"{e.person.name} · {e.reason}"[:200],
            "price": e.amount,
            "allowance": e.amount,
            "ltc": Decimal("0.00"),
            "self_pay": Decimal("0.00"),
        }
        for e in rows
    ]
