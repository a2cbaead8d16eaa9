from django.urls import path

from yiyang.dashboard.web import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_view, name="home"),
    path("export.xlsx", views.export_view, name="export"),
    path("report/", views.report_view, name="report"),
    path("basemap.geojson", views.basemap_view, name="basemap"),
    path("boundaries.geojson", views.boundaries_view, name="boundaries"),
    path("screen/", views.screen_view, name="screen"),
    path("screen/data.json", views.screen_data_view, name="screen-data"),
]
