"""Account administration's forms (members, settings), sign-in, and the review."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from funnel import notices, selectors
from funnel.domain.grid import MONTHS
from funnel.formatting import month_label
from funnel.forms.fields import omitted_fields
from funnel.models import PlanAction, Role


class SignInForm(AuthenticationForm):
    """Django's sign-in form; a user whose every account is deactivated cannot
    sign in (site operators, Django staff, still can), unless an account in
    use has invited them: they sign in to answer it."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if (
            not user.is_staff
            and not user.memberships.filter(account__is_active=True).exists()
            and not selectors.invitations_for(user=user).exists()
        ):
            raise forms.ValidationError(
                _(
                    "このユーザーが所属するアカウントは現在ご利用いただけません。管理者にお問い合わせください。"
                ),
                code="inactive_account",
            )


class PlanReviewForm(forms.Form):
    action = forms.ChoiceField(choices=PlanAction.choices)
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


ROLE_MESSAGES = {
    "required": _("役割を選んでください。"),
    "invalid_choice": notices.ROLE_NOT_LISTED,
}


class CompleteForm(forms.Form):
    """A form that writes only when every one of its fields was posted.

    A request that lacks one (an empty body, JSON, text/plain, a page from an
    older version, a hand-made request) must not be read as "this field was
    emptied" and change something: the view answers 400 with the form again.
    Whether a field was posted is its widget's to say (a checkbox never is
    missing: unchecked is not sent)."""

    #: Fields a 上書き保存 (action=overwrite) need not carry: the values the
    #: page was loaded with, which only a normal save compares.
    base_field_names = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.base_field_names:
            # Any text is what the page was loaded with; one this app never
            # writes is refused as a conflict (it equals no stored value),
            # never as an error in a field nobody can see.
            self.fields[name].validators = []

    def missing_fields(self, *, overwrite=False):
        return omitted_fields(self, skip=self.base_field_names if overwrite else ())

    def is_complete(self, *, overwrite=False):
        return self.is_bound and not self.missing_fields(overwrite=overwrite)


class MemberAddForm(CompleteForm):
    """Add a member: a new user (who sets a password through a one-time link)
    or, by username, someone who already has one: they are invited and join
    when they accept."""

    NEW, EXISTING = "new", "existing"

    mode = forms.ChoiceField(
        label=_("追加するユーザー"),
        choices=[
            (NEW, _("新しいユーザーを作成する")),
            (EXISTING, _("既存のユーザーを追加する")),
        ],
        initial=NEW,
        widget=forms.RadioSelect,
    )
    username = forms.CharField(
        label=_("ユーザー名"),
        # django.contrib.auth's User.username: its length and its validator.
        max_length=150,
        validators=[
            UnicodeUsernameValidator(
                message=_(
                    "ユーザー名には文字・数字と @ . + - _ だけを使えます（空白は使えません）。"
                )
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.TypedChoiceField(
        label=_("役割"), choices=Role.choices, coerce=int, initial=Role.MARKETER
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].error_messages.update(
            required=_("新しいユーザーか既存のユーザーかを選んでください。"),
            invalid_choice=_("新しいユーザーか既存のユーザーかを選んでください。"),
        )
        self.fields["username"].error_messages.update(
            required=_("ユーザー名を入力してください。"),
            max_length=_("ユーザー名は150文字以内で入力してください。"),
        )
        self.fields["role"].error_messages.update(ROLE_MESSAGES)

    @property
    def creates_user(self):
        return self.cleaned_data.get("mode") == self.NEW


def _loaded_int(text, allowed):
    """A base_ value as this app wrote it (an int among ``allowed``); any other
    text as it came, which never equals a stored value: a conflict."""
    try:
        value = int(text)
    except ValueError:
        return text
    return value if value in allowed and str(value) == text else text


class MemberRoleForm(CompleteForm):
    """A member's role, with the role the page showed (base_role), so a save
    can tell whether another admin changed it meanwhile."""

    role = forms.TypedChoiceField(label=_("役割"), choices=Role.choices, coerce=int)
    base_role = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    base_field_names = ("base_role",)

    def __init__(self, *args, membership=None, **kwargs):
        if membership is not None:
            # One form per row of the members page, with ids of its own.
            kwargs.setdefault(
                "initial", {"role": membership.role, "base_role": membership.role}
            )
            kwargs.setdefault("auto_id", f"role-{membership.pk}-%s")
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["role"].error_messages.update(ROLE_MESSAGES)

    def loaded_role(self):
        """The role the page was loaded with (see _loaded_int)."""
        return _loaded_int(self.data.get("base_role", ""), Role.values)


class MemberRemoveForm(CompleteForm):
    """The confirmation inside 削除: a post without it removes nobody."""

    confirm = forms.CharField(widget=forms.HiddenInput, initial="1")


def _month_choices():
    # A callable, so the labels are translated when the form is shown.
    return [(month, month_label(month)) for month in MONTHS]


class AccountSettingsForm(CompleteForm):
    name = forms.CharField(label=_("アカウント名"), max_length=100)
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("年度の開始月"),
        choices=_month_choices,
        coerce=int,
        initial=1,
        help_text=_(
            "目標設定の年度がこの月から始まります（例: 4月なら4月〜翌年3月）。"
        ),
    )
    # What the page showed, so a save can tell whether another admin (or
    # another tab) saved meanwhile.
    base_name = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    base_fiscal_year_start_month = forms.CharField(
        required=False, strip=False, widget=forms.HiddenInput
    )
    base_field_names = ("base_name", "base_fiscal_year_start_month")

    def __init__(self, *args, account=None, **kwargs):
        if account is not None:
            values = {
                "name": account.name,
                "fiscal_year_start_month": account.fiscal_year_start_month,
            }
            kwargs.setdefault(
                "initial",
                values | {f"base_{name}": value for name, value in values.items()},
            )
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages.update(
            required=_("アカウント名を入力してください。"),
            max_length=_("アカウント名は100文字以内で入力してください。"),
        )
        self.fields["fiscal_year_start_month"].error_messages.update(
            required=_("年度の開始月を選んでください。"),
            invalid_choice=_("年度の開始月は1月〜12月から選んでください。"),
        )

    def loaded_values(self):
        """The name and start month the page was loaded with, for
        services.account_settings_save's ``expected``."""
        return {
            "name": self.data.get("base_name", ""),
            "fiscal_year_start_month": _loaded_int(
                self.data.get("base_fiscal_year_start_month", ""), MONTHS
            ),
        }
