from django.urls import path

from yiyang.core.web.routes import resource_pages
from yiyang.devices.web import views

app_name = "devices"

urlpatterns = [
    *resource_pages(views, "device", "list", "create"),
    path("rejections/", views.rejection_list_view, name="rejections"),
    path("rejections/<int:pk>/", views.rejection_detail_view, name="rejection"),
    *resource_pages(views, "device", "detail", "edit", "bind", "unbind"),
]
