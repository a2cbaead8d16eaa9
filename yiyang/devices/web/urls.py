from django.urls import path

from yiyang.devices.web import views

app_name = "devices"

urlpatterns = [
    path("", views.device_list_view, name="list"),
    path("new/", views.device_create_view, name="create"),
    path("rejections/", views.rejection_list_view, name="rejections"),
    path("rejections/<int:pk>/", views.rejection_detail_view, name="rejection"),
    path("<uuid:external_id>/", views.device_detail_view, name="detail"),
    path("<uuid:external_id>/edit/", views.device_edit_view, name="edit"),
    path("<uuid:external_id>/bind/", views.device_bind_view, name="bind"),
    path("<uuid:external_id>/unbind/", views.device_unbind_view, name="unbind"),
]
