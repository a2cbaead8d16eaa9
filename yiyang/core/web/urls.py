from django.urls import path

from yiyang.core.web import views
from yiyang.core.web.routes import resource_pages

app_name = "divisions"

urlpatterns = [
    path("", views.division_tree_view, name="tree"),
    *resource_pages(views, "division", "create", "export", "detail", "edit", "children"),
]
