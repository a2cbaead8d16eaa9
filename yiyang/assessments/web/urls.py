from django.urls import path

from yiyang.assessments.web import detail, elder, eligibility, entry, reports, views

app_name = "assessments"

urlpatterns = [
    path("", views.assessment_list_view, name="list"),
    path("due/", views.assessment_due_view, name="due"),
    path("eligibility/", eligibility.eligibility_list_view, name="eligibility"),
    path("eligibility/new/", eligibility.eligibility_edit_view, name="eligibility-create"),
    path(
        "eligibility/<uuid:external_id>/",
        eligibility.eligibility_detail_view,
        name="eligibility-detail",
    ),
    path(
        "eligibility/<uuid:external_id>/edit/",
        eligibility.eligibility_edit_view,
        name="eligibility-edit",
    ),
    path("elders/<uuid:external_id>/", elder.elder_assessments_view, name="elder"),
    path("elders/<uuid:external_id>/request/", elder.elder_request_view, name="elder-request"),
    path(
        "elders/<uuid:external_id>/risk-events/",
        elder.elder_risk_event_view,
        name="elder-risk-event",
    ),
    path(
        "elders/<uuid:external_id>/declaration/",
        elder.elder_declaration_view,
        name="elder-declaration",
    ),
    path("<uuid:external_id>/", detail.assessment_detail_view, name="detail"),
    path("<uuid:external_id>/schedule/", detail.assessment_schedule_view, name="schedule"),
    path("<uuid:external_id>/return/", detail.assessment_return_view, name="return"),
    path("<uuid:external_id>/finalise/", detail.assessment_finalise_view, name="finalise"),
    path("<uuid:external_id>/cancel/", detail.assessment_cancel_view, name="cancel"),
    path("<uuid:external_id>/form/", entry.assessment_form_view, name="form"),
    path("<uuid:external_id>/report/", reports.assessment_report_view, name="report"),
    path("<uuid:external_id>/report.pdf", reports.assessment_report_pdf_view, name="report-pdf"),
]
