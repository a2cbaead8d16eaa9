from django.urls import path

from yiyang.devices.web import views

app_name = "devices"

urlpatterns = [
    path("", views.device_list_view, name="list"),
    path("rejections/", views.rejection_list_view, name="rejections"),
    path("<uuid:external_id>/", views.device_detail_view, name="detail"),
]
