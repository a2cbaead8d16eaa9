"""The elder's photo over the API: fetched, added or replaced, and removed exactly as on
the elder's page (the same services: scope, validation, JPEG re-encoding, encryption at
rest, history and access log). A bad image is a 400 on ``photo`` saying why."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiyang.core.api.negotiation import FileOrJsonNegotiation
from yiyang.core.downloads import private_response
from yiyang.core.permissions import request_actor
from yiyang.elders.photos import elder_photo_read, elder_photo_remove, elder_photo_set
from yiyang.elders.selectors import elder_get_for_actor


class ElderPhotoUploadSerializer(serializers.Serializer[Any]):
    photo = serializers.FileField(
        help_text="A JPEG, PNG or WebP image (at most ELDER_PHOTO_MAX_BYTES); it is stored "
        "re-encoded as JPEG without its EXIF data."
    )


PHOTO_STATE = inline_serializer("ElderPhotoState", {"photo": serializers.BooleanField()})


class ElderPhotoView(APIView):
    """One elder's photo, for those who may see the elder (each fetch in the access log,
    never cached); community workers and officers add, replace and remove it."""

    parser_classes = [MultiPartParser, FormParser]
    content_negotiation_class = FileOrJsonNegotiation

    @extend_schema(
        operation_id="elders_photo_retrieve",
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The photo"),
            404: OpenApiResponse(description="No such elder in reach, or no photo"),
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        actor = request_actor(request)
        elder = elder_get_for_actor(actor=actor, external_id=id)
        return private_response(elder_photo_read(actor=actor, elder=elder))

    @extend_schema(
        operation_id="elders_photo_update",
        request={"multipart/form-data": ElderPhotoUploadSerializer},
        responses={200: PHOTO_STATE},
    )
    def put(self, request: Request, id: str) -> Response:
        """Add the photo, or replace the one there (the old file is deleted)."""
        actor = request_actor(request)
        elder = elder_get_for_actor(actor=actor, external_id=id)
        # As on the page: scope, then the role, then the file (none: a 400 on ``photo``).
        upload = request.FILES.get("photo")
        data = upload.read() if upload is not None else b""
        elder = elder_photo_set(actor=actor, elder=elder, data=data)
        return Response({"photo": bool(elder.photo)})

    @extend_schema(operation_id="elders_photo_destroy", responses={204: None})
    def delete(self, request: Request, id: str) -> Response:
        """Remove the photo (400 on ``photo`` when there is none)."""
        actor = request_actor(request)
        elder = elder_get_for_actor(actor=actor, external_id=id)
        elder_photo_remove(actor=actor, elder=elder)
        return Response(status=status.HTTP_204_NO_CONTENT)
