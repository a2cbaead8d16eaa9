from django.urls import path

from yiyang.alerts.web import views

app_name = "alerts"

urlpatterns = [
    path("", views.console_view, name="console"),
    path("queue/", views.queue_view, name="queue"),
    path("stream/", views.stream_view, name="stream"),
    path("stats/", views.stats_view, name="stats"),
    path("history/", views.history_view, name="history"),
    path("outbox/", views.outbox_view, name="outbox"),
    path("elders/<uuid:external_id>/", views.elder_settings_view, name="elder_settings"),
    path(
        "elders/<uuid:external_id>/contacts/<uuid:contact_id>/email/",
        views.contact_email_view,
        name="contact_email",
    ),
    path("<uuid:external_id>/panel/", views.panel_view, name="panel"),
    path("<uuid:external_id>/acknowledge/", views.acknowledge_view, name="acknowledge"),
    path("<uuid:external_id>/actions/", views.action_view, name="action"),
    path("<uuid:external_id>/resolve/", views.resolve_view, name="resolve"),
    path("<uuid:external_id>/review/", views.review_view, name="review"),
]
