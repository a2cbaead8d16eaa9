from django.conf import settings
from django.urls import include, path

from yiyang.core.web.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("accounts/", include("yiyang.accounts.web.urls")),
    path("", include("yiyang.dashboard.web.home_urls")),
    path("divisions/", include("yiyang.core.web.urls")),
    path("audit/", include("yiyang.core.web.audit_urls")),
    path("exports/", include("yiyang.core.web.export_urls")),
    path("organisations/", include("yiyang.organisations.web.urls")),
    path("elders/", include("yiyang.elders.web.urls")),
    path("assessments/", include("yiyang.assessments.web.urls")),
    path("services/", include("yiyang.services.web.urls")),
    path("visits/", include("yiyang.visits.web.urls")),
    path("family/", include("yiyang.visits.web.family_urls")),
    path("scheduling/", include("yiyang.scheduling.web.urls")),
    path("devices/", include("yiyang.devices.web.urls")),
    path("alerts/", include("yiyang.alerts.web.urls")),
    path("facilities/", include("yiyang.facilities.web.urls")),
    path("meals/", include("yiyang.meals.web.urls")),
    path("workforce/", include("yiyang.workforce.web.urls")),
    path("settlement/", include("yiyang.settlement.web.urls")),
    path("dashboard/", include("yiyang.dashboard.web.urls")),
    path("supervision/", include("yiyang.supervision.web.urls")),
    path("public/", include("yiyang.supervision.web.public_urls")),
]

if settings.DEBUG:  # pragma: no cover - static files are served by whitenoise in production
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
