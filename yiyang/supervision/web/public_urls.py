from django.urls import path

from yiyang.supervision.web import public

app_name = "public"
urlpatterns = [
    path("", public.public_home_view, name="home"),
    path("facilities.json", public.public_json_view, name="json"),
    path("<uuid:external_id>/", public.public_detail_view, name="detail"),
]
