from django.urls import path

from yiyang.supervision.web import calendar, evaluations, hotline, scorecard, views

app_name = "supervision"
urlpatterns = [
    path("ratings/", views.rating_list_view, name="ratings"),
    path("ratings/apply/", views.rating_apply_view, name="rating-apply"),
    path("ratings/<uuid:external_id>/", views.rating_detail_view, name="rating"),
    path("ratings/<uuid:external_id>/step/", views.rating_step_view, name="rating-step"),
    path("ratings/<uuid:external_id>/score/", views.rating_score_view, name="rating-score"),
    path("complaints/", views.complaint_list_view, name="complaints"),
    path("complaints/new/", views.complaint_register_view, name="complaint-register"),
    path("complaints/import/", hotline.hotline_import_view, name="hotline-import"),
    path("complaints/<uuid:external_id>/", views.complaint_detail_view, name="complaint"),
    path("inspections/", views.inspection_list_view, name="inspections"),
    path("inspections/plan/", views.inspection_plan_view, name="inspection-plan"),
    path("inspections/<uuid:external_id>/", views.inspection_record_view, name="inspection"),
    path("rectifications/<uuid:external_id>/", views.rectification_step_view, name="rectification"),
    path("photos/<uuid:external_id>/", views.evidence_photo_view, name="photo"),
    path(
        "family/visits/<uuid:external_id>/complain/",
        views.family_complain_view,
        name="family-complain",
    ),
    path("evaluations/", evaluations.evaluation_list_view, name="evaluations"),
    path("evaluations/generate/", evaluations.evaluation_generate_view, name="evaluation-generate"),
    path("evaluations/<uuid:external_id>/", evaluations.evaluation_detail_view, name="evaluation"),
    path("schemes/", views.scheme_list_view, name="schemes"),
    path("calendar/", calendar.calendar_view, name="calendar"),
    path("scorecard/", scorecard.scorecard_view, name="scorecard"),
]
