"""The counter's view of the elder's photo over the API (for a counter app with a token):
the same scope as the page (an elder booked, served or just identified at the staff's
canteen today, ``grant`` from the preview), each view in the access log, never cached."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from yiyang.core.api.negotiation import FileOrJsonNegotiation
from yiyang.core.downloads import private_response
from yiyang.core.permissions import request_actor
from yiyang.meals import services


class CounterPhotoView(APIView):
    """The photo of the elder the counter serves, to confirm who it is."""

    content_negotiation_class = FileOrJsonNegotiation

    @extend_schema(
        operation_id="meals_counter_photo",
        parameters=[
            OpenApiParameter(
                "grant",
                OpenApiTypes.STR,
                description="From the preview's photo address: the elder was just "
                "identified at this counter (valid 15 minutes, for this staff member).",
            )
        ],
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The photo"),
            404: OpenApiResponse(description="Not an elder of this counter today, or no photo"),
        },
    )
    def get(self, request: Request, id: str, elder: str) -> HttpResponse:
        data = services.counter_photo_read(
            actor=request_actor(request),
            canteen_id=id,
            elder_id=elder,
            grant=request.query_params.get("grant", ""),
        )
        return private_response(data)
