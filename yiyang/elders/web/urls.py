from django.urls import path

from yiyang.core.web.routes import resource_pages
from yiyang.elders.web import access, contacts, duplicates, imports, locations, photo_views, views

app_name = "elders"

urlpatterns = [
    *resource_pages(views, "elder", "list", "create"),
    path("export/", access.elder_export_view, name="export"),
    path("duplicates/", duplicates.duplicate_list_view, name="duplicates"),
    path("unlocated/", locations.unlocated_list_view, name="unlocated"),
    path("locate/", locations.locate_view, name="locate"),
    path("addresses/import/", locations.address_import_view, name="address-import"),
    path("import/", imports.import_view, name="import"),
    path("imports/<uuid:external_id>/", imports.import_job_view, name="import-job"),
    *resource_pages(imports, "import", "progress", "resume", prefix="imports/", name="import"),
    path(
        "imports/<uuid:external_id>/report.xlsx", imports.import_report_view, name="import-report"
    ),
    path("access-log/", access.access_log_view, name="access-log"),
    path("access-log/export.csv", access.access_log_export_view, name="access-log-export"),
    *resource_pages(views, "elder", "detail", "edit", "history"),
    *resource_pages(photo_views, "elder", "photo"),
    path("<uuid:external_id>/contacts/new/", contacts.contact_edit_view, name="contact-create"),
    path(
        "<uuid:external_id>/contacts/<uuid:contact_id>/edit/",
        contacts.contact_edit_view,
        name="contact-edit",
    ),
    path(
        "<uuid:external_id>/contacts/<uuid:contact_id>/remove/",
        contacts.contact_remove_view,
        name="contact-remove",
    ),
    path("<uuid:external_id>/consents/new/", contacts.consent_create_view, name="consent-create"),
    path(
        "<uuid:external_id>/consents/<uuid:consent_id>/withdraw/",
        contacts.consent_withdraw_view,
        name="consent-withdraw",
    ),
]
