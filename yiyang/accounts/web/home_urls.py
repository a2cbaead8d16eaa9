from django.urls import path

from yiyang.accounts.web.home import home_view

urlpatterns = [path("", home_view, name="home")]
