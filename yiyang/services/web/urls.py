from django.urls import path

from yiyang.services.web import views

app_name = "services"

urlpatterns = [
    path("", views.service_list_view, name="list"),
    path("caregivers/", views.caregiver_list_view, name="caregivers"),
    path("caregivers/<uuid:external_id>/", views.caregiver_detail_view, name="caregiver-detail"),
]
