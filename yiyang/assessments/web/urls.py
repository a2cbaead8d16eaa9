from django.urls import path

from yiyang.assessments.web import detail, elder, eligibility, entry, reports, views
from yiyang.core.web.routes import resource_pages

app_name = "assessments"

urlpatterns = [
    *resource_pages(views, "assessment", "list"),
    path("due/", views.assessment_due_view, name="due"),
    path("eligibility/", eligibility.eligibility_list_view, name="eligibility"),
    *resource_pages(
        eligibility,
        "eligibility",
        "create",
        "detail",
        "edit",
        prefix="eligibility/",
        name="eligibility",
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
    *resource_pages(detail, "assessment", "detail", "schedule", "return", "finalise", "cancel"),
    *resource_pages(entry, "assessment", "form"),
    *resource_pages(reports, "assessment", "report"),
    path("<uuid:external_id>/report.pdf", reports.assessment_report_pdf_view, name="report-pdf"),
]
