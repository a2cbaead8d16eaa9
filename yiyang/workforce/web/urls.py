from django.urls import path

from yiyang.workforce.web import (
    contest_views,
    export_views,
    subsidy_views,
    training_views,
    views,
)

app_name = "workforce"

urlpatterns = [
    path("", views.roster_view, name="roster"),
    path("export/", export_views.roster_export_view, name="export"),
    path("figures/", views.figures_view, name="figures"),
    path("people/<uuid:external_id>/", views.person_view, name="person"),
    path(
        "people/<uuid:external_id>/id-number/",
        export_views.person_id_number_view,
        name="person_id_number",
    ),
    path("import/", views.import_view, name="import"),
    path("me/", views.my_record_view, name="me"),
    path("training/", training_views.training_view, name="training"),
    path("training/sessions/<uuid:external_id>/", training_views.session_view, name="session"),
    path("training/checkin/<str:token>/", training_views.checkin_view, name="checkin"),
    path("subsidies/", subsidy_views.subsidies_view, name="subsidies"),
    path(
        "subsidies/rules/<uuid:external_id>/", subsidy_views.subsidy_rule_view, name="subsidy_rule"
    ),
    path("contests/", contest_views.contests_view, name="contests"),
    path("contests/<uuid:external_id>/", contest_views.contest_view, name="contest"),
]
