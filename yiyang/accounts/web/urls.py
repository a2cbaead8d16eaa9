from django.contrib.auth import views as auth_views
from django.urls import path

from yiyang.accounts.web import views
from yiyang.core.web.routes import resource_pages

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/", views.otp_view, name="otp"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    *resource_pages(
        views, "user", "list", "create", "export", "detail", "edit", prefix="users/", name="user"
    ),
    path("users/<uuid:external_id>/reset-2fa/", views.user_otp_reset_view, name="user-otp-reset"),
    *resource_pages(views, "user", "unlock", prefix="users/", name="user"),
    path("roles/", views.roles_view, name="roles"),
]
