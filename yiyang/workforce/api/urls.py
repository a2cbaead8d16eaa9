from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.workforce.api import views

router = SimpleRouter()
router.register("workforce/employments", views.EmploymentViewSet, basename="workforce-employment")
router.register(
    "workforce/certificates", views.CertificateViewSet, basename="workforce-certificate"
)
router.register("workforce/courses", views.CourseViewSet, basename="workforce-course")
router.register("workforce/sessions", views.SessionViewSet, basename="workforce-session")
router.register("workforce/subsidy-rules", views.SubsidyRuleViewSet, basename="workforce-rule")
router.register("workforce/subsidies", views.SubsidyViewSet, basename="workforce-subsidy")
router.register("workforce/contests", views.ContestViewSet, basename="workforce-contest")
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
    *router.urls,
]
