from django.urls import path

from yiyang.accounts.api.views import UserViewSet, me_view, token_view
from yiyang.core.api.routes import collection_routes

urlpatterns = [
    path("auth/token/", token_view, name="api-token"),
    path("me/", me_view, name="api-me"),
    *collection_routes(("users", UserViewSet, "user")),
]
