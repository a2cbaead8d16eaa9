from django.urls import path

from yiyang.dashboard.web.home import home_view

urlpatterns = [path("", home_view, name="home")]
