from django.urls import path

from yiyang.visits.web import views

app_name = "family"

urlpatterns = [
    path("", views.family_view, name="home"),
    path("visits/<uuid:external_id>/rate/", views.family_rate_view, name="rate"),
    path("visits/<uuid:external_id>/complain/", views.family_complain_view, name="complain"),
]
