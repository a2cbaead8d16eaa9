"""Signed contract documents through the API: listed and downloaded by whoever may see the
contract, uploaded and deleted by its buyer's officers; every download audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.records import RecordSerializer, ref
from yiyang.core.api.viewsets import ScopedViewSet, answer, validated
from yiyang.core.permissions import Actor
from yiyang.settlement import selectors, services
from yiyang.settlement.documents import attachment
from yiyang.settlement.models import Contract, ContractDocument
from yiyang.settlement.permissions import contract_scoped
from yiyang.settlement.services.attachments import upload_bytes


class ContractDocumentSerializer(RecordSerializer[ContractDocument]):
    contract = ref("contract")
    uploaded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ContractDocument
        fields = (
            "id",
            "contract",
            "name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "uploaded_by_username",
        )


class ContractDocumentUploadSerializer(serializers.Serializer[Any]):
    contract = serializers.UUIDField()
    file = serializers.FileField(help_text="PDF, PNG or JPEG, up to 10 MB")


CONTRACT = OpenApiParameter("contract", OpenApiTypes.UUID, description="a contract's id")


class ContractDocumentViewSet(
    ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin
):
    """Signed documents of the contracts the caller may see."""

    serializer_class = ContractDocumentSerializer
    parser_classes = [MultiPartParser]

    model = ContractDocument
    get_for_actor = staticmethod(selectors.contract_document_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[ContractDocument]:
        queryset = (
            ContractDocument.objects.select_related("contract")
            .defer("data")
            .filter(contract__in=contract_scoped(actor, Contract.objects.all()))
        )
        contract = self.request.query_params.get("contract")
        if contract:
            try:
                queryset = queryset.filter(contract__external_id=contract)
            except ValidationError as exc:  # not a UUID
                raise ValidationError({"contract": _("Not a contract's id.")}) from exc
        return queryset

    @extend_schema(parameters=[CONTRACT])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ContractDocumentUploadSerializer},
        responses={201: ContractDocumentSerializer},
    )
    def create(self, request: Request) -> Response:
        data = validated(request, ContractDocumentUploadSerializer)
        contract = selectors.contract_get_for_actor(actor=self.actor, external_id=data["contract"])
        upload = data["file"]
        document = services.contract_document_add(
            actor=self.actor, contract=contract, name=upload.name or "", data=upload_bytes(upload)
        )
        return answer(ContractDocumentSerializer, document, created=True)

    def perform_destroy(self, instance: ContractDocument) -> None:
        services.contract_document_delete(actor=self.actor, document=instance)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, id: str) -> HttpResponse:
        document = self.get_object()
        data = services.contract_document_read(actor=self.actor, document=document)
        return attachment(data, document.name, document.content_type)
