from __future__ import annotations

from typing import Any

from django import db
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiyang.alerts import services
from yiyang.alerts.api.serializers import (
    ActionWriteSerializer,
    AlertActionSerializer,
    AlertDetailSerializer,
    AlertSerializer,
    CallbackResultSerializer,
    DeviceEventSerializer,
    ElderThresholdsSerializer,
    ResolveSerializer,
    ReviewSerializer,
    ThresholdsUpdateSerializer,
)
from yiyang.alerts.filtersets import AlertFilterSet
from yiyang.alerts.models import Alert
from yiyang.alerts.selectors import (
    alert_get_for_actor,
    alert_scoped,
    elder_for_alert_settings,
    elder_thresholds,
)
from yiyang.core import safejson
from yiyang.core.api.parsers import SafeJSONParser
from yiyang.core.api.viewsets import ScopedReadViewSet, answer, step_action, validated
from yiyang.core.permissions import Actor, request_actor
from yiyang.devices.choices import RejectReason, Via
from yiyang.devices.decoders import DecodeError
from yiyang.devices.services import Inbound, callback_verify, rejections_record

MAX_EVENTS_PER_CALLBACK = 1000


class AlertViewSet(ScopedReadViewSet):
    """Alerts of elders in the caller's jurisdiction (``?status=open`` for the queue),
    critical first. Operators acknowledge, log actions and resolve; supervisors review."""

    filterset_class = AlertFilterSet

    model = Alert
    get_for_actor = staticmethod(alert_get_for_actor)
    step_target = "alert"

    def visible(self, actor: Actor) -> QuerySet[Alert]:
        return alert_scoped(actor=actor).order_by("priority", "raised_at", "id")

    def get_serializer_class(self) -> Any:
        return AlertSerializer if self.action == "list" else AlertDetailSerializer

    def step_answer(self, alert: Alert) -> Response:
        """The alert read afresh, with its actions."""
        return Response(AlertDetailSerializer(self.get_object()).data)

    acknowledge = step_action(
        services.alert_acknowledge,
        answer=AlertDetailSerializer,
        doc="Take the alert (its answer time stops; escalation ends).",
    )

    @extend_schema(request=ActionWriteSerializer, responses={201: AlertActionSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, id: str) -> Response:
        """Log a call and its result, help sent, or 120/119 called."""
        alert = self.get_object()
        data = validated(request, ActionWriteSerializer)
        contact_id = data.pop("contact", None)
        contact = None
        if contact_id:
            contact = alert.elder.contacts.filter(external_id=contact_id, is_active=True).first()
            if contact is None:
                raise ValidationError({"contact": "not one of the elder's contacts"})
        logged = services.alert_action_log(
            alert=alert, actor=request_actor(request), contact=contact, **data
        )
        return answer(AlertActionSerializer, logged, created=True)

    resolve = step_action(
        services.alert_resolve,
        answer=AlertDetailSerializer,
        body=ResolveSerializer,
        doc="Close the alert with its outcome.",
    )

    review = step_action(
        services.alert_review,
        answer=AlertDetailSerializer,
        body=ReviewSerializer,
        doc="A supervisor's review of a resolved alert.",
    )


def _refused(error: DecodeError, code: int) -> Response:
    return Response(
        {"reason": error.reason, "field": error.field, "detail": error.message}, status=code
    )


def _signed_events(request: Request, vendor: str, key: str) -> list[Any] | Response:
    """The events of a callback whose signature holds and whose body is well formed, or
    the answer refusing it (recorded as a rejection)."""
    body = request.body
    try:
        callback_verify(
            vendor=vendor,
            timestamp=request.headers.get("X-Yiyang-Timestamp", ""),
            signature=request.headers.get("X-Yiyang-Signature", ""),
            body=body,
        )
        parsed = safejson.loads(body)
        events = (
            parsed.get("events") if isinstance(parsed, dict) and "events" in parsed else [parsed]
        )
        if not isinstance(events, list) or not 0 < len(events) <= MAX_EVENTS_PER_CALLBACK:
            raise DecodeError(
                RejectReason.MALFORMED, "events", f"1 to {MAX_EVENTS_PER_CALLBACK} events"
            )
    except DecodeError as error:
        rejections_record(
            device_key=key,
            reason=error.reason,
            detail=error.message,
            via=Via.HTTP,
            body=body,
            field=error.field,
        )
        code = (
            status.HTTP_401_UNAUTHORIZED
            if error.reason
            in (
                RejectReason.BAD_SIGNATURE,
                RejectReason.REPLAYED,
                RejectReason.FUTURE_TIMESTAMP,
                RejectReason.STALE_TIMESTAMP,
            )
            else status.HTTP_400_BAD_REQUEST
        )
        return _refused(error, code)
    except (UnicodeDecodeError, ValueError) as exc:
        malformed = DecodeError(RejectReason.MALFORMED, "body", f"not JSON: {exc}"[:200])
        rejections_record(
            device_key=key,
            reason=malformed.reason,
            detail=malformed.message,
            via=Via.HTTP,
            body=body,
        )
        return _refused(malformed, status.HTTP_400_BAD_REQUEST)
    return events


class DeviceEventCallbackView(APIView):
    """Events from a vendor's cloud. Sign ``<timestamp>.<body>`` with the vendor's secret
    (HMAC-SHA256, hex) and send ``X-Yiyang-Vendor``, ``X-Yiyang-Timestamp`` (epoch seconds,
    within the replay window) and ``X-Yiyang-Signature``. The body is one event (``device_id``
    and the vendor's payload) or ``{"events": [...]}``. Each event is answered as accepted,
    duplicate (already received: safe to retry) or rejected with its reason and field."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        request=DeviceEventSerializer,
        responses={200: CallbackResultSerializer},
        parameters=[
            OpenApiParameter("X-Yiyang-Vendor", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Yiyang-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Yiyang-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        vendor = request.headers.get("X-Yiyang-Vendor", "")[:32]
        key = f"vendor:{vendor}"
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            error = DecodeError(RejectReason.TOO_LARGE, "body", f"{length} bytes is too large")
            rejections_record(
                device_key=key, reason=error.reason, detail=error.message, via=Via.HTTP
            )
            return _refused(error, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        events = _signed_events(request, vendor, key)
        if isinstance(events, Response):
            return events
        # The signing vendor travels with each event: a device of another vendor is rejected
        # (``wrong_vendor``), so one vendor's key can never speak for another's devices.
        messages = [
            Inbound(
                device_key=str(event.get("device_id", ""))[:64] if isinstance(event, dict) else "",
                body=event,
                via=Via.HTTP,
                vendor=vendor,
            )
            for event in events
        ]
        try:
            stored = services.device_messages_ingest(messages=messages)
        except (db.OperationalError, db.InterfaceError):
            # Nothing was stored: the vendor's cloud retries later (at-least-once), and the
            # message ids de-duplicate whatever it sends twice.
            return Response(
                {"reason": "unavailable", "detail": "storage unavailable, retry later"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        return Response({"results": [o.as_dict() for o in stored.outcomes]})


class ElderThresholdsViewSet(viewsets.ViewSet):
    """The thresholds of the alert rules for one elder (by the elder's id): the city's
    defaults, the elder's own values and what the rules use. Community workers and officers
    set or clear the elder's own values (``PATCH``: send only those that change, ``null``
    returns one to the city default); every change is audited."""

    lookup_field = "elder_id"
    lookup_value_regex = "[^/]+"
    serializer_class = ElderThresholdsSerializer

    def _answer(self, elder: Any) -> Response:
        rows = elder_thresholds(actor=request_actor(self.request), elder=elder)
        return Response(
            {
                "elder": str(elder.external_id),
                "defaults": {row.name: row.default for row in rows},
                "overrides": {row.name: row.override for row in rows},
                "effective": {row.name: row.effective for row in rows},
            }
        )

    @extend_schema(responses={200: ElderThresholdsSerializer})
    def retrieve(self, request: Request, elder_id: str) -> Response:
        return self._answer(
            elder_for_alert_settings(actor=request_actor(request), external_id=elder_id)
        )

    @extend_schema(request=ThresholdsUpdateSerializer, responses={200: ElderThresholdsSerializer})
    def partial_update(self, request: Request, elder_id: str) -> Response:
        actor = request_actor(request)
        elder = elder_for_alert_settings(actor=actor, external_id=elder_id)
        if not isinstance(request.data, dict):
            raise ValidationError(_("Send the thresholds as a JSON object."))
        unknown = set(request.data) - set(ThresholdsUpdateSerializer().fields)
        if unknown:
            raise ValidationError(
                {name: _("Not a threshold that can be set per elder.") for name in sorted(unknown)}
            )
        serializer = ThresholdsUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.elder_alert_settings_set(actor=actor, elder=elder, **serializer.validated_data)
        return self._answer(elder)
