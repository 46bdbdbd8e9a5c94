"""Account administration's forms (members, settings), sign-in, and the review."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from funnel import notices
from funnel.domain.grid import MONTHS
from funnel.formatting import month_label
from funnel.models import PlanAction, Role


class SignInForm(AuthenticationForm):
    """Django's sign-in form; a user whose every account is deactivated cannot
    sign in (site operators, Django staff, still can)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if (
            not user.is_staff
            and not user.memberships.filter(account__is_active=True).exists()
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


class MemberAddForm(forms.Form):
    """Add a member: a new user (who sets a password through a one-time link)
    or a user who already exists, found by username."""

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


class MemberRoleForm(forms.Form):
    role = forms.TypedChoiceField(label=_("役割"), choices=Role.choices, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].error_messages.update(ROLE_MESSAGES)


def _month_choices():
    # A callable, so the labels are translated when the form is shown.
    return [(month, month_label(month)) for month in MONTHS]


class AccountSettingsForm(forms.Form):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages.update(
            required=_("アカウント名を入力してください。"),
            max_length=_("アカウント名は100文字以内で入力してください。"),
        )
        self.fields["fiscal_year_start_month"].error_messages.update(
            required=_("年度の開始月を選んでください。"),
            invalid_choice=_("年度の開始月は1月〜12月から選んでください。"),
        )
