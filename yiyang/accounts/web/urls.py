from django.contrib.auth import views as auth_views
from django.urls import path

from yiyang.accounts.web import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/", views.otp_view, name="otp"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("users/", views.user_list_view, name="user-list"),
    path("users/new/", views.user_edit_view, name="user-create"),
    path("users/export.csv", views.user_export_view, name="user-export"),
    path("users/<uuid:external_id>/", views.user_detail_view, name="user-detail"),
    path("users/<uuid:external_id>/edit/", views.user_edit_view, name="user-edit"),
    path("users/<uuid:external_id>/reset-2fa/", views.user_otp_reset_view, name="user-otp-reset"),
    path("users/<uuid:external_id>/unlock/", views.user_unlock_view, name="user-unlock"),
    path("roles/", views.roles_view, name="roles"),
]
