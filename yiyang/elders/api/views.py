from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from yiyang.core.api.viewsets import ScopedReadViewSet, ScopedViewSet, validated
from yiyang.core.downloads import XLSX, download_response
from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.selectors import division_queryset
from yiyang.elders import importing, services
from yiyang.elders.api.serializers import (
    AccessLogSerializer,
    ContactWriteSerializer,
    ElderDetailSerializer,
    ElderListSerializer,
    ElderWriteSerializer,
    FamilyLinkSerializer,
    HistorySerializer,
    ImportJobSerializer,
    ImportUploadSerializer,
)
from yiyang.elders.filtersets import AccessLogFilterSet, ElderFilterSet
from yiyang.elders.models import AccessLog, Elder, ImportJob
from yiyang.elders.selectors import (
    access_log_list,
    elder_get_for_actor,
    elder_history,
    elder_scoped,
    import_job_get_for_actor,
    import_job_list,
    user_actor_by_username,
)
from yiyang.elders.tasks import import_job_start


class ElderViewSet(ScopedReadViewSet):
    """Elders in the caller's jurisdiction. Lists are masked; one elder's sensitive fields
    are unmasked where the role may see them, and each such view is in the access log.
    ``q`` matches a name, pinyin initials, a whole ID number or a whole phone number.
    Records are never deleted: set ``status``."""

    filterset_class = ElderFilterSet

    model = Elder
    list_selector = staticmethod(elder_scoped)
    get_for_actor = staticmethod(elder_get_for_actor)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return ElderListSerializer
        if self.action == "history":
            return HistorySerializer
        return ElderDetailSerializer

    def step_answer(self, elder: Elder, code: int = status.HTTP_200_OK) -> Response:
        """The detail, unmasked where the caller's role may see (and logged)."""
        revealed = services.elder_reveal(actor=self.actor, elder=elder)
        data = ElderDetailSerializer(elder, context={"revealed": revealed}).data
        return Response(data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.step_answer(self.get_object())

    @extend_schema(request=ElderWriteSerializer, responses={201: ElderDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self._write_serializer(request.data, partial=False)
        elder = services.elder_create(actor=self.actor, **serializer.validated_data)
        return self.step_answer(elder, status.HTTP_201_CREATED)

    @extend_schema(request=ElderWriteSerializer, responses={200: ElderDetailSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        elder = self.get_object()
        serializer = self._write_serializer(request.data, partial=True)
        elder = services.elder_update(actor=self.actor, elder=elder, **serializer.validated_data)
        return self.step_answer(elder)

    def _write_serializer(self, data: Any, *, partial: bool) -> ElderWriteSerializer:
        serializer = ElderWriteSerializer(data=data, partial=partial)
        actor = request_actor(self.request)
        serializer.fields["community"].queryset = division_queryset(actor=actor).filter(  # type: ignore[attr-defined]
            level="community"
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    @extend_schema(responses={200: HistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, id: str) -> Response:
        """Every change of the record, newest first; sensitive values masked."""
        elder = self.get_object()
        events = elder_history(actor=request_actor(request), elder=elder)
        return self.paginated(HistorySerializer, events)

    @extend_schema(request=ContactWriteSerializer, responses={201: ElderDetailSerializer})
    @action(detail=True, methods=["post"])
    def contacts(self, request: Request, id: str) -> Response:
        """Add an emergency contact."""
        elder = self.get_object()
        data = validated(request, ContactWriteSerializer)
        services.contact_add(actor=self.actor, elder=elder, **data)
        return self.step_answer(elder, status.HTTP_201_CREATED)

    @extend_schema(request=FamilyLinkSerializer, responses={200: FamilyLinkSerializer})
    @action(detail=True, methods=["post"], url_path="family-members")
    def family_members(self, request: Request, id: str) -> Response:
        """Link a family member's login to the elder (what it sees also needs the elder's
        family-view consent)."""
        elder = self.get_object()
        serializer = FamilyLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_actor_by_username(data["username"])
        if user is None:
            raise ValidationError({"username": _("No active login with this username.")})
        services.family_member_link(
            actor=request_actor(request),
            elder=elder,
            user=user,
            relation=data["relation"],
            active=data["active"],
        )
        return Response(serializer.data)


class AccessLogViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Unmasked views and exports of elders' sensitive fields, for auditors."""

    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilterSet
    model = AccessLog
    list_selector = staticmethod(access_log_list)


class ImportJobViewSet(ScopedReadViewSet):
    """Spreadsheet imports of elders (.xlsx or .csv): upload, follow progress, fetch the
    report of rejected rows."""

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]

    model = ImportJob
    list_selector = staticmethod(import_job_list)
    get_for_actor = staticmethod(import_job_get_for_actor)

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = request_actor(request)
        require_perm(actor, Permission.IMPORT_ELDERS)
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        job = importing.import_job_create(
            actor=actor,
            filename=upload.name,
            content=upload.read(),
            dry_run=serializer.validated_data["dry_run"],
        )
        import_job_start(job)
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, XLSX): bytes})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, id: str) -> HttpResponse:
        """The rejected rows (row, column, value, reason) as .xlsx."""
        job = self.get_object()
        return download_response(
            importing.error_report_xlsx(job), f"import-{job.external_id}-errors.xlsx", XLSX
        )
