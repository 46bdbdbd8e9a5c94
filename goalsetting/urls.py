from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from funnel.views.auth import SignInView, SignOutView
from funnel.views.health import healthz
from funnel.views.reviews import home

urlpatterns = [
    # A manager starts at 承認待ち, everyone else at this year's targets.
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # The app's pages first: the live recomputes are resolved on every
    # keystroke, and no other pattern here overlaps the app's.
    path("", include("funnel.urls")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # The set-password link an admin hands a new member (shown once).
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
]
