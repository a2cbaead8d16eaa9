from django.urls import path

from yiyang.core.api.routes import collection_routes
from yiyang.workforce.api import views

urlpatterns = [
    path("workforce/people/<uuid:id>/", views.PersonView.as_view(), name="workforce-person"),
    path(
        "workforce/people/<uuid:id>/id-number/",
        views.PersonIdNumberView.as_view(),
        name="workforce-person-id-number",
    ),
    path(
        "workforce/roster-imports/",
        views.RosterImportView.as_view(),
        name="workforce-roster-import",
    ),
    *collection_routes(
        ("employments", views.EmploymentViewSet, "employment"),
        ("certificates", views.CertificateViewSet, "certificate"),
        ("courses", views.CourseViewSet, "course"),
        ("sessions", views.SessionViewSet, "session"),
        ("subsidy-rules", views.SubsidyRuleViewSet, "rule"),
        ("subsidies", views.SubsidyViewSet, "subsidy"),
        ("contests", views.ContestViewSet, "contest"),
        prefix="workforce/",
        name="workforce",
    ),
]
