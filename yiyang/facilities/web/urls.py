from django.urls import path

from yiyang.facilities.web import photos, register, views

app_name = "facilities"

urlpatterns = [
    path("", views.facility_list_view, name="list"),
    path("new/", register.facility_register_view, name="register"),
    path("coverage/", views.coverage_view, name="coverage"),
    path("coverage/compute/", views.coverage_compute_view, name="coverage-compute"),
    path("plan/", views.plan_view, name="plan"),
    path("plan/<uuid:external_id>/", views.scenario_view, name="scenario"),
    path(
        "plan/<uuid:external_id>/progress/", views.scenario_progress_view, name="scenario-progress"
    ),
    path("plan/<uuid:external_id>/export.xlsx", views.scenario_export_view, name="scenario-export"),
    path("plan/<uuid:external_id>/map.png", views.scenario_map_view, name="scenario-map"),
    path("projects/", views.project_list_view, name="projects"),
    path("projects/targets/", views.target_set_view, name="target-set"),
    path(
        "projects/<uuid:external_id>/photos/",
        photos.project_photo_upload_view,
        name="project-photo-upload",
    ),
    path("projects/photos/<uuid:external_id>/", photos.project_photo_view, name="project-photo"),
    path(
        "projects/<uuid:external_id>/milestone/",
        views.project_milestone_view,
        name="project-milestone",
    ),
    path("<uuid:external_id>/", views.facility_detail_view, name="detail"),
]
