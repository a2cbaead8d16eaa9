from django.urls import path

from yiyang.scheduling.web import views

app_name = "scheduling"

urlpatterns = [
    path("plan/", views.plan_start_view, name="plan-start"),
    path("plan/<uuid:external_id>/", views.plan_view, name="plan"),
    path("plan/<uuid:external_id>/progress/", views.plan_progress_view, name="plan-progress"),
    path("day/", views.day_view, name="day"),
]
