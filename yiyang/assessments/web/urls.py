from django.urls import path

from yiyang.assessments.web import views

app_name = "assessments"

urlpatterns = [
    path("", views.assessment_list_view, name="list"),
    path("due/", views.assessment_due_view, name="due"),
    path("eligibility/", views.eligibility_list_view, name="eligibility"),
    path("eligibility/new/", views.eligibility_edit_view, name="eligibility-create"),
    path(
        "eligibility/<uuid:external_id>/",
        views.eligibility_detail_view,
        name="eligibility-detail",
    ),
    path(
        "eligibility/<uuid:external_id>/edit/", views.eligibility_edit_view, name="eligibility-edit"
    ),
    path("elders/<uuid:external_id>/", views.elder_assessments_view, name="elder"),
    path("elders/<uuid:external_id>/request/", views.elder_request_view, name="elder-request"),
    path(
        "elders/<uuid:external_id>/risk-events/",
        views.elder_risk_event_view,
        name="elder-risk-event",
    ),
    path(
        "elders/<uuid:external_id>/declaration/",
        views.elder_declaration_view,
        name="elder-declaration",
    ),
    path("<uuid:external_id>/", views.assessment_detail_view, name="detail"),
    path("<uuid:external_id>/schedule/", views.assessment_schedule_view, name="schedule"),
    path("<uuid:external_id>/return/", views.assessment_return_view, name="return"),
    path("<uuid:external_id>/finalise/", views.assessment_finalise_view, name="finalise"),
    path("<uuid:external_id>/cancel/", views.assessment_cancel_view, name="cancel"),
    path("<uuid:external_id>/form/", views.assessment_form_view, name="form"),
    path("<uuid:external_id>/report/", views.assessment_report_view, name="report"),
    path("<uuid:external_id>/report.pdf", views.assessment_report_pdf_view, name="report-pdf"),
]
