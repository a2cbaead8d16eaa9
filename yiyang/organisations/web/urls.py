from django.urls import path

from yiyang.organisations.web import views

app_name = "organisations"

urlpatterns = [
    path("", views.organisation_list_view, name="list"),
    path("new/", views.organisation_edit_view, name="create"),
    path("export.csv", views.organisation_export_view, name="export"),
    path("<uuid:external_id>/", views.organisation_detail_view, name="detail"),
    path("<uuid:external_id>/edit/", views.organisation_edit_view, name="edit"),
]
