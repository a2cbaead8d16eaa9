from django.urls import path

from yiyang.workforce.web import training_views, views

app_name = "workforce"

urlpatterns = [
    path("", views.roster_view, name="roster"),
    path("people/<uuid:external_id>/", views.person_view, name="person"),
    path("import/", views.import_view, name="import"),
    path("me/", views.my_record_view, name="me"),
    path("training/", training_views.training_view, name="training"),
    path("training/sessions/<uuid:external_id>/", training_views.session_view, name="session"),
    path("training/checkin/<str:token>/", training_views.checkin_view, name="checkin"),
]
