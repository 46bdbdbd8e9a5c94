"""Sign-in and sign-out, with redirect targets limited to this site's own paths."""

from django.contrib.auth import views as auth_views

from funnel.forms.account import SignInForm


class _LocalRedirectMixin:
    def get_redirect_url(self):
        # Django already refuses other hosts and schemes; a target must also be
        # an absolute path here, so nothing but "/…" ever reaches Location.
        url = super().get_redirect_url()
        if not url.startswith("/") or url.startswith("//"):
            return ""
        return url


class SignInView(_LocalRedirectMixin, auth_views.LoginView):
    authentication_form = SignInForm


class SignOutView(_LocalRedirectMixin, auth_views.LogoutView):
    pass
