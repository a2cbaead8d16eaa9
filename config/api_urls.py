from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from yiyang.core.api.notfound import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("yiyang.accounts.api.urls")),
    path("", include("yiyang.core.api.urls")),
    path("", include("yiyang.organisations.api.urls")),
    path("", include("yiyang.elders.api.urls")),
    path("", include("yiyang.assessments.api.urls")),
    path("", include("yiyang.services.api.urls")),
    path("", include("yiyang.visits.api.urls")),
    path("", include("yiyang.scheduling.api.urls")),
    path("", include("yiyang.devices.api.urls")),
    path("", include("yiyang.alerts.api.urls")),
    path("", include("yiyang.facilities.api.urls")),
    path("", include("yiyang.meals.api.urls")),
    path("", include("yiyang.workforce.api.urls")),
    path("", include("yiyang.supervision.api.urls")),
    path("", include("yiyang.indicators.api.urls")),
    path("", include("yiyang.settlement.api.urls")),
    # Last: any other path under /api/v1/ is a JSON 404 (a malformed id included).
    re_path(r"^(?P<path>.*)$", api_not_found),
]
