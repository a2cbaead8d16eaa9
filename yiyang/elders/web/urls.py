from django.urls import path

from yiyang.elders.web import locations, photo_views, views

app_name = "elders"

urlpatterns = [
    path("", views.elder_list_view, name="list"),
    path("new/", views.elder_edit_view, name="create"),
    path("export/", views.elder_export_view, name="export"),
    path("duplicates/", views.duplicate_list_view, name="duplicates"),
    path("unlocated/", locations.unlocated_list_view, name="unlocated"),
    path("locate/", locations.locate_view, name="locate"),
    path("addresses/import/", locations.address_import_view, name="address-import"),
    path("import/", views.import_view, name="import"),
    path("imports/<uuid:external_id>/", views.import_job_view, name="import-job"),
    path(
        "imports/<uuid:external_id>/progress/", views.import_progress_view, name="import-progress"
    ),
    path("imports/<uuid:external_id>/resume/", views.import_resume_view, name="import-resume"),
    path("imports/<uuid:external_id>/report.xlsx", views.import_report_view, name="import-report"),
    path("access-log/", views.access_log_view, name="access-log"),
    path("access-log/export.csv", views.access_log_export_view, name="access-log-export"),
    path("<uuid:external_id>/", views.elder_detail_view, name="detail"),
    path("<uuid:external_id>/edit/", views.elder_edit_view, name="edit"),
    path("<uuid:external_id>/history/", views.elder_history_view, name="history"),
    path("<uuid:external_id>/photo/", photo_views.elder_photo_view, name="photo"),
    path("<uuid:external_id>/contacts/new/", views.contact_edit_view, name="contact-create"),
    path(
        "<uuid:external_id>/contacts/<uuid:contact_id>/edit/",
        views.contact_edit_view,
        name="contact-edit",
    ),
    path(
        "<uuid:external_id>/contacts/<uuid:contact_id>/remove/",
        views.contact_remove_view,
        name="contact-remove",
    ),
    path("<uuid:external_id>/consents/new/", views.consent_create_view, name="consent-create"),
    path(
        "<uuid:external_id>/consents/<uuid:consent_id>/withdraw/",
        views.consent_withdraw_view,
        name="consent-withdraw",
    ),
]
