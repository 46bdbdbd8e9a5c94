"""Sign-in and sign-out, with redirect targets limited to this site's own paths."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import resolve_url

from funnel import selectors
from funnel.forms.account import SignInForm
from funnel.views.account import invitation_notice
from funnel.views.reviews import start_page_for


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

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whatever page they land on says who has invited them (a user
        # without an account of their own lands on the invitations page).
        invited = list(selectors.invitations_for(user=form.get_user()))
        if invited:
            messages.info(self.request, invitation_notice(invited))
        return response

    def get_default_redirect_url(self):
        """Without a ``next``: where the member starts (a manager at 承認待ち)."""
        if self.next_page:
            return super().get_default_redirect_url()
        membership = selectors.membership_for(user=self.request.user)
        return resolve_url(start_page_for(membership))


class SignOutView(_LocalRedirectMixin, auth_views.LogoutView):
    pass
