from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
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
    path("", include("yiyang.indicators.api.urls")),
]
