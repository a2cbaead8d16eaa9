from django.urls import path

from yiyang.core.web import views

app_name = "divisions"

urlpatterns = [
    path("", views.division_tree_view, name="tree"),
    path("new/", views.division_edit_view, name="create"),
    path("export.csv", views.division_export_view, name="export"),
    path("<uuid:external_id>/", views.division_detail_view, name="detail"),
    path("<uuid:external_id>/edit/", views.division_edit_view, name="edit"),
    path("<uuid:external_id>/children/", views.division_children_view, name="children"),
]
