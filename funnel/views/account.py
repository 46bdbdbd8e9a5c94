"""The account admin's pages (members, settings) and the account switcher."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from funnel import selectors, services
from funnel.access import admin_required, member_required
from funnel.forms.account import AccountSettingsForm, MemberAddForm, MemberRoleForm
from funnel.middleware import ACCOUNT_SESSION_KEY
from funnel.models import Membership, Role


def _account_membership(request, pk):
    """A membership of this account; another account's is a 404."""
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, account=request.account
    )


def _set_password_url(request, user):
    """The one-time link with which a new member chooses a password. Valid
    until they use it (the token is tied to the password) or until
    PASSWORD_RESET_TIMEOUT passes."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


class MemberRow:
    __slots__ = ("is_self", "membership")

    def __init__(self, *, membership, is_self):
        self.membership = membership
        self.is_self = is_self


def _members_page(request, form, *, new_member=None, set_password_url=None):
    memberships = selectors.member_list(account=request.account)
    return TemplateResponse(
        request,
        "funnel/account_members.html",
        {
            "rows": [
                MemberRow(
                    membership=membership, is_self=membership.user_id == request.user.pk
                )
                for membership in memberships
            ],
            "form": form,
            "roles": Role.choices,
            "new_member": new_member,
            "set_password_url": set_password_url,
            "link_valid_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
            "changes": selectors.account_changes(account=request.account),
        },
    )


@require_http_methods(["GET", "POST"])
@admin_required
def members(request):
    if request.method == "GET":
        return _members_page(request, MemberAddForm())
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form)
    try:
        membership = services.member_add(
            account=request.account,
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            create=form.creates_user,
            acting_user=request.user,
        )
    except services.FieldRefused as refused:
        form.add_error(refused.field, refused.message)
        return _members_page(request, form)
    username = membership.user.get_username()
    if not form.creates_user:
        messages.success(
            request,
            _("「%(username)s」をメンバーに追加しました。") % {"username": username},
        )
        return redirect("funnel:account-members")
    # A new user's set-password link is shown on this response only: it is
    # not stored anywhere, and the page is not cached.
    messages.success(
        request,
        _("ユーザー「%(username)s」を作成し、メンバーに追加しました。")
        % {"username": username},
    )
    response = _members_page(
        request,
        MemberAddForm(),
        new_member=membership,
        set_password_url=_set_password_url(request, membership.user),
    )
    add_never_cache_headers(response)
    return response


@require_POST
@admin_required
def member_role(request, pk):
    membership = _account_membership(request, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["role"][0])
        return redirect("funnel:account-members")
    try:
        changed = services.member_role_change(
            account=request.account,
            membership=membership,
            role=form.cleaned_data["role"],
            acting_user=request.user,
        )
    except services.ServiceError as refused:
        messages.error(request, refused.message)
        return redirect("funnel:account-members")
    messages.success(
        request,
        _("「%(username)s」の役割を「%(role)s」にしました。")
        % {
            "username": membership.user.get_username(),
            "role": changed.get_role_display(),
        },
    )
    if changed.user_id == request.user.pk and not changed.is_admin:
        # They have just given up the page they are on.
        return redirect("funnel:goal-grid-current")
    return redirect("funnel:account-members")


@require_POST
@admin_required
def member_remove(request, pk):
    membership = _account_membership(request, pk)
    try:
        services.member_remove(
            account=request.account, membership=membership, acting_user=request.user
        )
    except services.ServiceError as refused:
        messages.error(request, refused.message)
        return redirect("funnel:account-members")
    messages.success(
        request,
        _("「%(username)s」をメンバーから外しました。")
        % {"username": membership.user.get_username()},
    )
    if membership.user_id == request.user.pk:
        return redirect("funnel:goal-grid-current")
    return redirect("funnel:account-members")


@require_http_methods(["GET", "POST"])
@admin_required
def settings_view(request):
    account = request.account
    if request.method == "GET":
        form = AccountSettingsForm(
            initial={
                "name": account.name,
                "fiscal_year_start_month": account.fiscal_year_start_month,
            }
        )
    else:
        form = AccountSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.account_settings_save(
                    account=account,
                    name=form.cleaned_data["name"],
                    fiscal_year_start_month=form.cleaned_data[
                        "fiscal_year_start_month"
                    ],
                    acting_user=request.user,
                )
            except services.FieldRefused as refused:
                form.add_error(refused.field, refused.message)
            else:
                messages.success(request, _("保存しました。"))
                return redirect("funnel:account-settings")
    return TemplateResponse(
        request, "funnel/account_settings.html", {"form": form, "account": account}
    )


@require_http_methods(["GET", "POST"])
@member_required
def switch(request):
    """Choose which of the user's active accounts the session works in."""
    memberships = selectors.memberships_of(user=request.user)
    if request.method == "POST":
        chosen = next(
            (
                membership
                for membership in memberships
                if str(membership.account_id) == request.POST.get("account", "")
            ),
            None,
        )
        if chosen is None:
            raise Http404
        request.session[ACCOUNT_SESSION_KEY] = chosen.account_id
        messages.success(
            request,
            _("アカウント「%(name)s」に切り替えました。")
            % {"name": chosen.account.name},
        )
        return redirect("funnel:goal-grid-current")
    return TemplateResponse(
        request,
        "funnel/account_switch.html",
        {
            "memberships": memberships,
            "current_account_id": request.account.pk,
        },
    )
