"""The workforce API: the roster's employments and people, certificates, courses and
sessions (enrolment, QR check-in, results), subsidy rules and entitlements, roster import."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiyang.core.api.lookups import in_reach
from yiyang.core.api.viewsets import ScopedReadViewSet, ScopedViewSet, answer, validated
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, request_actor
from yiyang.elders.tabular import UnreadableFile
from yiyang.services.models import Certificate
from yiyang.services.selectors import provider_get_for_actor
from yiyang.workforce import selectors, services
from yiyang.workforce.api import serializers as s
from yiyang.workforce.filtersets import RosterFilterSet
from yiyang.workforce.models import (
    Contest,
    ContestEntry,
    Course,
    Employment,
    SubsidyEntitlement,
    SubsidyRule,
    TrainingSession,
)


def _provider(actor: Any, external_id: Any, field: str = "provider") -> Any:
    return in_reach(
        "provider", provider_get_for_actor, field=field, actor=actor, external_id=external_id
    )


def _city(actor: Actor) -> Any:
    """The city the caller's login belongs to (a 400 when it belongs to none)."""
    city = selectors.actor_city(actor)
    if city is None:
        raise ValidationError({"city": _("Your login is not attached to a city.")})
    return city


class EmploymentViewSet(ScopedReadViewSet):
    """The roster: one row per person and employer (``status=current`` for those employed)."""

    serializer_class = s.EmploymentSerializer
    model = Employment
    filterset_class = RosterFilterSet
    get_for_actor = staticmethod(selectors.employment_get_for_actor)
    step_target = "employment"

    def visible(self, actor: Actor) -> QuerySet[Employment]:
        return selectors.roster_list(actor=actor).select_related("caregiver")

    @extend_schema(request=s.LeaveSerializer, responses=s.EmploymentSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, id: str) -> Response:
        """The employer records the leave date and the reason from the list."""
        data = validated(request, s.LeaveSerializer)
        return self.transition(
            services.employment_end, left_on=data["left_on"], reason=data["leave_reason"]
        )


class PersonView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "PersonRecord",
            {
                "person": s.PersonSerializer(),
                "employments": s.EmploymentSerializer(many=True),
                "certificates": s.RosterCertificateSerializer(many=True),
                "training_hours_this_year": serializers.CharField(),
                "training_hours_required": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request, id: str) -> Response:
        """A person's record: employment history and certificates across employers."""
        person = selectors.person_get_for_actor(actor=request_actor(request), external_id=id)
        record = selectors.person_record(person)
        return Response({"person": s.PersonSerializer(person).data, **s.person_record_data(record)})


class PersonIdNumberView(APIView):
    @extend_schema(request=None, responses=s.IdNumberSerializer)
    def post(self, request: Request, id: str) -> Response:
        """The caregiver's full ID number, for roles allowed to see ID numbers (audited)."""
        actor = request_actor(request)
        person = selectors.person_get_for_actor(actor=actor, external_id=id)
        number = services.person_id_number_reveal(actor=actor, person=person)
        response = Response(s.IdNumberSerializer({"id_number": number}).data)
        response["Cache-Control"] = "no-store"
        return response


class ContestViewSet(ScopedReadViewSet):
    """Skills contests of the caller's city, with events, entrants, scores, ranks and awards.
    The city sets contests up, declares events and records the judges' scores; a provider
    enters its own current staff."""

    serializer_class = s.ContestSerializer
    model = Contest
    get_for_actor = staticmethod(selectors.contest_get_for_actor)

    @extend_schema(request=s.ContestCreateSerializer, responses={201: s.ContestSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.ContestCreateSerializer)
        actor = request_actor(request)
        city = selectors.actor_city(actor)
        if city is None:
            raise PermissionDenied(_("Contests are set up by the city."))
        contest = services.contest_create(actor=actor, city=city, **data)
        return answer(s.ContestSerializer, contest, created=True)

    @extend_schema(request=s.ContestEventSerializer, responses={201: s.ContestSerializer})
    @action(detail=True, methods=["post"])
    def events(self, request: Request, id: str) -> Response:
        """Declare one more event of the contest (city administrators)."""
        contest = self.get_object()
        data = validated(request, s.ContestEventSerializer)
        contest = services.contest_event_add(actor=self.actor, contest=contest, **data)
        return answer(s.ContestSerializer, contest, created=True)

    @extend_schema(
        request=s.ContestEntryCreateSerializer, responses={201: s.ContestEntrySerializer}
    )
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, id: str) -> Response:
        """Enter a caregiver of the caller's current staff in one event."""
        contest = self.get_object()
        data = validated(request, s.ContestEntryCreateSerializer)
        actor = request_actor(request)
        person = selectors.person_queryset(actor=actor).filter(external_id=data["person"]).first()
        if person is None:
            raise ValidationError({"person": _("No such caregiver on your roster.")})
        entry = services.contest_entry_add(
            actor=actor, contest=contest, person=person, event=data["event"]
        )
        return answer(s.ContestEntrySerializer, entry, created=True)

    @extend_schema(request=s.ContestScoresSerializer, responses=s.ContestEntrySerializer(many=True))
    @action(detail=True, methods=["post"])
    def scores(self, request: Request, id: str) -> Response:
        """The judges' scores of one event (city administrators): ranks follow the scores
        (equal scores share a rank), awards go by rank and reach the people's records."""
        contest = self.get_object()
        data = validated(request, s.ContestScoresSerializer)
        scores = {row["entry"]: row["score"] for row in data["scores"]}
        entries = services.contest_scores_record(
            actor=request_actor(request),
            contest=contest,
            event=data["event"],
            scores=scores,
            awards=data["awards"],
        )
        return Response(s.ContestEntrySerializer(entries, many=True).data)

    def visible(self, actor: Actor) -> QuerySet[Any]:
        return (
            selectors.contest_list(actor=actor)
            .prefetch_related(
                Prefetch(
                    "entries", queryset=ContestEntry.objects.select_related("person", "provider")
                )
            )
            .order_by("-held_on", "id")
        )


class CertificateViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Certificates of the caregivers on the caller's roster (dispatch checks them)."""

    serializer_class = s.RosterCertificateSerializer
    model = Certificate

    def visible(self, actor: Actor) -> QuerySet[Certificate]:
        return selectors.certificate_list(actor=actor).order_by("id")


class CourseViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.CourseSerializer
    model = Course

    list_selector = staticmethod(selectors.course_queryset)

    @extend_schema(request=s.CourseCreateSerializer, responses={201: s.CourseSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.CourseCreateSerializer)
        actor = request_actor(request)
        organiser = (
            _provider(actor, data.pop("organiser"), "organiser") if data.get("organiser") else None
        )
        division = Division.objects.filter(code=data.pop("division", "")).first()
        if organiser is not None:
            division = organiser.division
        if division is None:
            raise ValidationError({"division": _("Give the division code or the organiser.")})
        course = services.course_create(actor=actor, division=division, organiser=organiser, **data)
        return answer(s.CourseSerializer, course, created=True)


class SessionViewSet(ScopedReadViewSet):
    """Training sessions; attendance by the token of the session's QR code."""

    serializer_class = s.SessionSerializer
    model = TrainingSession
    list_selector = staticmethod(selectors.session_queryset)
    get_for_actor = staticmethod(selectors.session_get_for_actor)

    @extend_schema(request=s.SessionCreateSerializer, responses={201: s.SessionSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.SessionCreateSerializer)
        actor = request_actor(request)
        course = selectors.course_queryset(actor=actor).filter(external_id=data.pop("course"))
        if not course.exists():
            raise ValidationError({"course": _("No such course.")})
        session = services.session_create(actor=actor, course=course.get(), **data)
        return answer(s.SessionSerializer, session, created=True)

    @extend_schema(responses=s.EnrolmentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def enrolments(self, request: Request, id: str) -> Response:
        actor = request_actor(request)
        rows = selectors.session_enrolments(actor=actor, session=self.get_object())
        return Response(s.EnrolmentSerializer(rows, many=True).data)

    @extend_schema(request=s.EnrolSerializer, responses={201: s.EnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def enrol(self, request: Request, id: str) -> Response:
        data = validated(request, s.EnrolSerializer)
        actor = request_actor(request)
        person = None
        if data.get("person"):
            person = selectors.person_get_for_actor(actor=actor, external_id=data["person"])
        enrolment = services.enrolment_add(actor=actor, session=self.get_object(), person=person)
        return answer(s.EnrolmentSerializer, enrolment, created=True)

    @extend_schema(request=s.ResultSerializer, responses=s.EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def results(self, request: Request, id: str) -> Response:
        data = validated(request, s.ResultSerializer)
        actor = request_actor(request)
        enrolments = selectors.session_enrolments(actor=actor, session=self.get_object())
        enrolment = enrolments.filter(external_id=data["enrolment"]).first()
        if enrolment is None:
            raise ValidationError({"enrolment": _("No such enrolment in this session.")})
        enrolment = services.enrolment_result_record(
            actor=actor,
            enrolment=enrolment,
            score=data["score"],
            passed=data["passed"],
        )
        return Response(s.EnrolmentSerializer(enrolment).data)

    @extend_schema(request=s.CheckInSerializer, responses=s.EnrolmentSerializer)
    @action(detail=False, methods=["post"], url_path="check-in")
    def check_in(self, request: Request) -> Response:
        """A caregiver checks in with the token of the session's QR code."""
        data = validated(request, s.CheckInSerializer)
        session = selectors.session_by_token(token=data["token"])
        enrolment = services.session_check_in(actor=request_actor(request), session=session)
        return Response(s.EnrolmentSerializer(enrolment).data)


class SubsidyRuleViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.SubsidyRuleSerializer
    model = SubsidyRule

    list_selector = staticmethod(selectors.subsidy_rule_list)

    @extend_schema(request=s.SubsidyRuleSerializer, responses={201: s.SubsidyRuleSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.SubsidyRuleSerializer)
        rule = services.subsidy_rule_save(actor=self.actor, city=_city(self.actor), **data)
        return answer(s.SubsidyRuleSerializer, rule, created=True)

    @extend_schema(request=s.SubsidyRuleSerializer, responses=s.SubsidyRuleSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        """The city changes a rule (a change that would pay someone twice is refused)."""
        actor = request_actor(request)
        rule = selectors.subsidy_rule_get_for_actor(actor=actor, external_id=id)
        serializer = s.SubsidyRuleSerializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.subsidy_rule_save(
            actor=actor, city=rule.city, rule=rule, **serializer.validated_data
        )
        return Response(s.SubsidyRuleSerializer(rule).data)


class SubsidyViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Entitlements to entry and post subsidies, month by month."""

    serializer_class = s.SubsidySerializer
    model = SubsidyEntitlement

    list_selector = staticmethod(selectors.subsidy_list)

    @extend_schema(request=s.EvaluateSerializer, responses={201: s.SubsidySerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def evaluate(self, request: Request) -> Response:
        data = validated(request, s.EvaluateSerializer)
        actor = self.actor
        new = services.subsidies_evaluate(actor=actor, city=_city(actor), month=data["month"])
        return Response(s.SubsidySerializer(new, many=True).data, status=status.HTTP_201_CREATED)


class RosterImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=s.RosterImportSerializer, responses=s.RosterImportResultSerializer)
    def post(self, request: Request) -> Response:
        """Import a roster (.xlsx or .csv); rejected rows come back with row, column and
        reason. 400 when the file cannot be read at all."""
        data = validated(request, s.RosterImportSerializer)
        actor = request_actor(request)
        provider = _provider(actor, data["provider"]) if data.get("provider") else None
        upload = data["file"]
        with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix.lower()[:8]) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            handle.flush()
            try:
                result = services.roster_import(
                    actor=actor,
                    path=Path(handle.name),
                    filename=upload.name,
                    provider=provider,
                    dry_run=data["dry_run"],
                    all_or_nothing=data["all_or_nothing"],
                )
            except UnreadableFile as exc:
                raise ValidationError({"file": str(exc)}) from None
        return Response(s.RosterImportResultSerializer(result).data)
