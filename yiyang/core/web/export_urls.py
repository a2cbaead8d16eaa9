from django.urls import path

from yiyang.core.web import exports

app_name = "exports"

urlpatterns = [
    path("<uuid:external_id>/", exports.export_job_view, name="detail"),
    path("<uuid:external_id>/progress/", exports.export_progress_view, name="progress"),
    path("<uuid:external_id>/download/", exports.export_download_view, name="download"),
    path("<uuid:external_id>/again/", exports.export_again_view, name="again"),
]
