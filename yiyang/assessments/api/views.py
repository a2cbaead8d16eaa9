from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from yiyang.assessments import services
from yiyang.assessments.api.serializers import (
    AnswersSerializer,
    AssessmentDetailSerializer,
    AssessmentHistorySerializer,
    AssessmentRequestSerializer,
    AssessmentSerializer,
    EligibilityRuleSerializer,
    EntitlementSerializer,
    PreviewResultSerializer,
    PreviewSerializer,
    ReasonSerializer,
    RiskEventSerializer,
    ScheduleSerializer,
)
from yiyang.assessments.filtersets import AssessmentFilterSet
from yiyang.assessments.models import Assessment, EligibilityRule
from yiyang.assessments.selectors import (
    assessment_get_for_actor,
    assessment_history,
    assessment_queryset,
    assessments_due,
    assessor_get,
    eligibility_rule_get,
    eligibility_rule_history,
    eligibility_rules,
)
from yiyang.core.api.viewsets import ScopedReadViewSet, answer, step_action, validated
from yiyang.core.permissions import Actor, Permission, request_actor, require_perm
from yiyang.elders.selectors import elder_get_for_actor


class AssessmentViewSet(ScopedReadViewSet):
    """Ability assessments (GB/T 42195-2022, Barthel) in the caller's scope: an assessor
    sees those assigned to them. Lists carry totals and levels, never answers; the detail
    carries the answers for the assessors, reviewers and health-data roles (logged)."""

    filterset_class = AssessmentFilterSet

    model = Assessment
    list_selector = staticmethod(assessment_queryset)
    get_for_actor = staticmethod(assessment_get_for_actor)
    step_target = "assessment"

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list" or self.action == "due":
            return AssessmentSerializer
        return AssessmentDetailSerializer

    def step_answer(self, assessment: Assessment, code: int = status.HTTP_200_OK) -> Response:
        """The detail, with the answers and the result revealed to the roles that may see
        them (logged)."""
        health = services.assessment_health_reveal(actor=self.actor, assessment=assessment)
        context = {"answers": health.answers, "result": health.result}
        return Response(AssessmentDetailSerializer(assessment, context=context).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.step_answer(self.get_object())

    @extend_schema(request=AssessmentRequestSerializer, responses={201: AssessmentDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Request an assessment of an elder."""
        actor = request_actor(request)
        require_perm(actor, Permission.REQUEST_ASSESSMENTS)
        data = validated(request, AssessmentRequestSerializer)
        elder = elder_get_for_actor(actor=actor, external_id=data["elder"])
        assessment = services.assessment_request(
            actor=actor,
            elder=elder,
            reason=data["reason"],
            requested_via=data["requested_via"],
            instrument_code=data["instrument"],
            note=data["note"],
        )
        return self.step_answer(assessment, status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, id: str) -> Response:
        """Assign the assessor(s), date and place."""
        assessment = self.get_object()
        data = validated(request, ScheduleSerializer)
        assessor = assessor_get(external_id=data["assessor"])
        second = (
            assessor_get(external_id=data["second_assessor"]) if data["second_assessor"] else None
        )
        if assessor is None:
            raise ValidationError({"assessor": [_("No active assessor with this id.")]})
        if data["second_assessor"] and second is None:
            raise ValidationError({"second_assessor": [_("No active assessor with this id.")]})
        return self.transition(
            services.assessment_schedule,
            target=assessment,
            assessor=assessor,
            second_assessor=second,
            scheduled_at=data["scheduled_at"],
            place=data["place"],
        )

    @extend_schema(request=AnswersSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["patch"])
    def answers(self, request: Request, id: str) -> Response:
        """Save answers half-way (any subset of items)."""
        return self._with_answers(services.assessment_save)

    @extend_schema(request=AnswersSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, id: str) -> Response:
        """Submit for review; every item must be answered (a missing one is named)."""
        return self._with_answers(services.assessment_submit)

    @extend_schema(request=ReasonSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request: Request, id: str) -> Response:
        """Return a submitted assessment to its assessor with the reasons."""
        return self._with_reason(services.assessment_return)

    finalise = step_action(
        services.assessment_finalise,
        answer=AssessmentDetailSerializer,
        doc="Make a submitted assessment final (frozen); the elder's level follows.",
    )

    @extend_schema(request=ReasonSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id: str) -> Response:
        return self._with_reason(services.assessment_cancel)

    def _with_answers(self, service: Any) -> Response:
        assessment = self.get_object()
        return self.transition(
            service, target=assessment, values=validated(self.request, AnswersSerializer)
        )

    def _with_reason(self, service: Any) -> Response:
        assessment = self.get_object()
        return self.transition(
            service, target=assessment, **validated(self.request, ReasonSerializer)
        )

    @extend_schema(responses={200: AssessmentHistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, id: str) -> Response:
        """Every step of the assessment: who, when, what changed."""
        events = assessment_history(assessment=self.get_object())
        return self.paginated(AssessmentHistorySerializer, events)

    @extend_schema(responses={200: AssessmentSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def due(self, request: Request) -> Response:
        """Final assessments running out within 30 days (configurable) or overdue."""
        queryset = assessments_due(actor=request_actor(request))
        return self.paginated(AssessmentSerializer, queryset)

    @extend_schema(request=PreviewSerializer, responses={200: PreviewResultSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """Score answers without saving (assessors and reviewers). A missing item, an answer
        outside an item's options or an unknown ICD-10 code is a 400 naming it."""
        data = validated(request, PreviewSerializer)
        result = services.assessment_preview(
            actor=request_actor(request),
            instrument_code=data["instrument"],
            answers=data["answers"],
            coma=data["coma"],
            diagnoses=data["diagnoses"],
            risk_events_30d=data["risk_events_30d"],
            complete=not data["partial"],
        )
        return Response(PreviewResultSerializer(result.as_dict()).data)


class RiskEventViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Record a fall, hospital stay or other care-risk event; after a fall or a hospital
    stay an immediate re-assessment is proposed."""

    serializer_class = RiskEventSerializer
    queryset = EligibilityRule.objects.none()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = request_actor(request)
        data = validated(request, RiskEventSerializer)
        elder = elder_get_for_actor(actor=actor, external_id=data["elder"])
        event = services.risk_event_record(
            actor=actor,
            elder=elder,
            kind=data["kind"],
            occurred_on=data["occurred_on"],
            note=data.get("note", ""),
        )
        return answer(RiskEventSerializer, event, created=True)


class EligibilityRuleViewSet(ScopedReadViewSet):
    """Eligibility rules: level, economic status and age to entitlements. City
    administrators edit them; every change is kept in the rule's history."""

    serializer_class = EligibilityRuleSerializer

    model = EligibilityRule

    def visible(self, actor: Actor) -> QuerySet[EligibilityRule]:
        require_perm(actor, Permission.VIEW_ASSESSMENTS)
        return eligibility_rules()

    def get_object(self) -> EligibilityRule:
        require_perm(request_actor(self.request), Permission.VIEW_ASSESSMENTS)
        return eligibility_rule_get(external_id=self.kwargs["id"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EligibilityRuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.eligibility_rule_create(
            actor=request_actor(request), **serializer.validated_data
        )
        return answer(EligibilityRuleSerializer, rule, created=True)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        serializer = EligibilityRuleSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.eligibility_rule_update(
            actor=request_actor(request), rule=rule, **serializer.validated_data
        )
        return Response(EligibilityRuleSerializer(rule).data)

    @extend_schema(responses={200: AssessmentHistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, id: str) -> Response:
        events = eligibility_rule_history(rule=self.get_object())
        return self.paginated(AssessmentHistorySerializer, events)


class EntitlementViewSet(viewsets.GenericViewSet):
    """What an elder is entitled to today and why (computed from the rules)."""

    serializer_class = EntitlementSerializer
    lookup_url_kwarg = "id"
    queryset = EligibilityRule.objects.none()

    @extend_schema(responses={200: EntitlementSerializer(many=True)})
    def retrieve(self, request: Request, id: str) -> Response:
        actor = request_actor(request)
        require_perm(actor, Permission.VIEW_ASSESSMENTS)
        elder = elder_get_for_actor(actor=actor, external_id=id)
        found = services.entitlements_for(elder=elder)
        return Response(EntitlementSerializer(found, many=True).data)
