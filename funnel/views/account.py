"""The account admin's pages (members, invitations, settings), the account
switcher, and the invitations a signed-in user has received."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.encoding import force_bytes
from django.utils.html import format_html
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from funnel import notices, selectors, services
from funnel.access import admin_required, member_required
from funnel.forms.account import (
    AccountSettingsForm,
    MemberAddForm,
    MemberRemoveForm,
    MemberRoleForm,
)
from funnel.middleware import ACCOUNT_SESSION_KEY
from funnel.models import Invitation, Membership


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


def _saving(request):
    """保存 (compared with what the page was loaded with) or 上書き保存 (the
    admin chose their values over a save made meanwhile)."""
    return request.POST.get("action", "save")


class MemberRow:
    __slots__ = ("conflict", "form", "is_self", "membership")

    def __init__(self, *, membership, is_self, form, conflict=None):
        self.membership = membership
        self.is_self = is_self
        self.form = form
        self.conflict = conflict


def _members_page(
    request,
    form=None,
    *,
    status=200,
    role_form=None,
    conflict=None,
    new_member=None,
    set_password_url=None,
):
    """The members page. ``role_form`` (bound) replaces the role form of its
    membership's row, with ``conflict`` if the save was refused as stale."""
    memberships = selectors.member_list(account=request.account)
    edited = role_form.membership.pk if role_form is not None else None
    rows = [
        MemberRow(
            membership=membership,
            is_self=membership.user_id == request.user.pk,
            form=role_form
            if membership.pk == edited
            else MemberRoleForm(membership=membership),
            conflict=conflict if membership.pk == edited else None,
        )
        for membership in memberships
    ]
    return TemplateResponse(
        request,
        "funnel/account_members.html",
        {
            "rows": rows,
            "form": form or MemberAddForm(),
            "remove_form": MemberRemoveForm(auto_id=False),
            "invitations": selectors.invitation_list(account=request.account),
            "new_member": new_member,
            "set_password_url": set_password_url,
            "link_valid_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
            "changes": selectors.account_changes(account=request.account),
            "reload_url": reverse("funnel:account-members"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@admin_required
def members(request):
    if request.method == "GET":
        return _members_page(request)
    form = MemberAddForm(request.POST)
    if not form.is_complete():
        form.add_error(None, notices.INCOMPLETE_REQUEST)
        return _members_page(request, form, status=400)
    if not form.is_valid():
        return _members_page(request, form)
    try:
        added = services.member_add(
            account=request.account,
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            create=form.creates_user,
            acting_user=request.user,
        )
    except services.FieldRefused as refused:
        form.add_error(refused.field, refused.message)
        return _members_page(request, form)
    if isinstance(added, Invitation):
        # The same answer whether or not anyone has this name (and for a name
        # taken when a new user was asked for): see services.member_add.
        messages.success(
            request,
            _(
                "「%(username)s」を招待しました。本人がログインして招待を承諾すると、メンバーに追加されます。"
            )
            % {"username": added.username},
        )
        return redirect("funnel:account-members")
    # A new user's set-password link is shown on this response only: it is
    # not stored anywhere, and the page is not cached.
    messages.success(
        request,
        _("ユーザー「%(username)s」を作成し、メンバーに追加しました。")
        % {"username": added.user.get_username()},
    )
    response = _members_page(
        request,
        new_member=added,
        set_password_url=_set_password_url(request, added.user),
    )
    add_never_cache_headers(response)
    return response


def _account_membership(request, pk):
    """A membership of this account, or None: removed meanwhile, or never
    this account's (the two answer alike, so nothing of another account
    shows)."""
    return (
        Membership.objects.select_related("user")
        .filter(pk=pk, account=request.account)
        .first()
    )


def _member_gone(request):
    """The member is not (or no longer) in this account: the list as it is
    now, with why nothing was changed."""
    messages.error(
        request,
        _(
            "このメンバーはこのアカウントにいません（ほかの管理者が外した可能性があります）。何も変更していません。最新のメンバー一覧を表示しています。"
        ),
    )
    return _members_page(request, status=404)


@require_POST
@admin_required
def member_role(request, pk):
    membership = _account_membership(request, pk)
    if membership is None:
        return _member_gone(request)
    action = _saving(request)
    form = MemberRoleForm(request.POST, membership=membership)
    if not form.is_complete(overwrite=action == "overwrite"):
        messages.error(request, notices.INCOMPLETE_REQUEST)
        return _members_page(request, status=400)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect("funnel:account-members")
    try:
        changed = services.member_role_change(
            account=request.account,
            membership=membership,
            role=form.cleaned_data["role"],
            acting_user=request.user,
            expected=form.loaded_role() if action != "overwrite" else None,
        )
    except services.SaveConflict as refused:
        messages.error(request, refused.message)
        return _members_page(request, role_form=form, conflict=refused, status=409)
    except services.MemberGone as gone:
        messages.error(request, gone.message)
        return _members_page(request, status=404)
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
    if membership is None:
        return _member_gone(request)
    if not MemberRemoveForm(request.POST).is_complete():
        messages.error(request, notices.INCOMPLETE_REQUEST)
        return _members_page(request, status=400)
    try:
        services.member_remove(
            account=request.account, membership=membership, acting_user=request.user
        )
    except services.MemberGone as gone:
        messages.error(request, gone.message)
        return _members_page(request, status=404)
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


@require_POST
@admin_required
def invitation_cancel(request, pk):
    invitation = Invitation.objects.filter(pk=pk, account=request.account).first()
    if invitation is None:
        # Answered or cancelled meanwhile (or never this account's).
        messages.error(
            request,
            _(
                "この招待はありません（承諾・辞退・取り消しのいずれかが済んでいます）。最新の一覧を表示しています。"
            ),
        )
        return _members_page(request, status=404)
    try:
        services.invitation_cancel(
            account=request.account, invitation=invitation, acting_user=request.user
        )
    except services.ServiceError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("「%(username)s」への招待を取り消しました。")
            % {"username": invitation.username},
        )
    return redirect("funnel:account-members")


@require_http_methods(["GET", "POST"])
@admin_required
def settings_view(request):
    account = request.account
    status, conflict = 200, None
    if request.method == "GET":
        form = AccountSettingsForm(account=account)
    else:
        action = _saving(request)
        form = AccountSettingsForm(request.POST)
        if not form.is_complete(overwrite=action == "overwrite"):
            form.add_error(None, notices.INCOMPLETE_REQUEST)
            status = 400
        elif form.is_valid():
            try:
                services.account_settings_save(
                    account=account,
                    name=form.cleaned_data["name"],
                    fiscal_year_start_month=form.cleaned_data[
                        "fiscal_year_start_month"
                    ],
                    acting_user=request.user,
                    expected=form.loaded_values() if action != "overwrite" else None,
                )
            except services.SaveConflict as refused:
                messages.error(request, refused.message)
                status, conflict = 409, refused
            except services.FieldRefused as refused:
                form.add_error(refused.field, refused.message)
            else:
                messages.success(request, _("保存しました。"))
                return redirect("funnel:account-settings")
    return TemplateResponse(
        request,
        "funnel/account_settings.html",
        {
            "form": form,
            "account": account,
            "conflict": conflict,
            "reload_url": reverse("funnel:account-settings"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required
def switch(request):
    """Choose which of the user's active accounts the session works in.
    Accounts that have only invited the user are not among them: those are
    on the invitations page until accepted."""
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
            "invitations": list(selectors.invitations_for(user=request.user)),
        },
    )


# --- the invited user's side: per user, not per account -------------------


def invitation_notice(invitations):
    """One line naming the accounts that have invited the user, with the way
    to answer: shown once, on the page they land on after signing in."""
    return format_html(
        '{} <a href="{}">{}</a>',
        _("「%(names)s」から、メンバーへの招待が届いています。")
        % {"names": "」「".join(invitation.account.name for invitation in invitations)},
        reverse("funnel:invitations"),
        _("招待を確認する"),
    )


@require_GET
def invitations(request):
    """The invitations waiting for the signed-in user's answer, from any
    account: the one page a user without an account of their own can use."""
    return TemplateResponse(
        request,
        "funnel/invitations.html",
        {"invitations": list(selectors.invitations_for(user=request.user))},
    )


def _own_invitation(request, pk):
    """The signed-in user's invitation; anyone else's is a 404, the same as
    one that does not exist."""
    return get_object_or_404(selectors.invitations_for(user=request.user), pk=pk)


@require_POST
def invitation_accept(request, pk):
    invitation = _own_invitation(request, pk)
    try:
        membership = services.invitation_accept(
            invitation=invitation, user=request.user
        )
    except services.ServiceError as refused:
        messages.error(request, refused.message)
        return redirect("funnel:invitations")
    # The session works in the account just joined.
    request.session[ACCOUNT_SESSION_KEY] = membership.account_id
    messages.success(
        request,
        _("「%(name)s」のメンバーになりました（役割: %(role)s）。")
        % {"name": invitation.account.name, "role": membership.get_role_display()},
    )
    return redirect("funnel:goal-grid-current")


@require_POST
def invitation_decline(request, pk):
    invitation = _own_invitation(request, pk)
    try:
        services.invitation_decline(invitation=invitation, user=request.user)
    except services.ServiceError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("「%(name)s」からの招待を辞退しました。")
            % {"name": invitation.account.name},
        )
    return redirect("funnel:invitations")
