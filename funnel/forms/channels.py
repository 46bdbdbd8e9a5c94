"""The account's channel list (/account/channels/): a row per channel (name,
Web, archived) in the list's order, rows added and moved before a save, and
the list as the page was loaded (base_channels) for the stale-page check."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funnel import services
from funnel.forms.fields import formset_rows_data, rows_edited, sent_in_full

PREFIX = "channels"
MAX_CHANNELS = 30
SAVE, OVERWRITE, ADD = "save", "overwrite", "add"
ROW_VERBS = ("up", "down")


class AccountChannelForm(forms.Form):
    """One channel. A new row (no id) left without a name is skipped, not
    refused: ＋ チャネルを追加 pressed once too often."""

    id = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        label=_("チャネル名"),
        max_length=50,
        error_messages={
            "required": _("チャネル名を入力してください。"),
            "max_length": _("チャネル名は50文字以内で入力してください。"),
        },
    )
    online = forms.BooleanField(label=_("Web（オンライン）"), required=False)
    archived = forms.BooleanField(label=_("アーカイブ"), required=False)

    @property
    def is_blank_new_row(self):
        return (
            not (self.data.get(self.add_prefix("id")) or "").strip()
            and not (self.data.get(self.add_prefix("name")) or "").strip()
        )

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.is_blank_new_row:
            self._errors = forms.utils.ErrorDict()
            self.cleaned_data = {}

    def clean_id(self):
        text = self.cleaned_data["id"].strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            # Never a row's id: the save answers it as a channel not found.
            return 0
        return int(text)


class BaseChannelListFormSet(forms.BaseFormSet):
    def clean(self):
        """Names unique in the list, compared without regard to case and
        width: the message beside the later of two."""
        seen = {}
        for form in self.forms:
            name = (form.cleaned_data or {}).get("name")
            if not name:
                continue
            key = services.channel_name_key(name)
            if key in seen:
                form.add_error("name", services.channel_name_taken_message(seen[key]))
            else:
                seen[key] = name


ChannelListFormSet = forms.formset_factory(
    AccountChannelForm,
    formset=BaseChannelListFormSet,
    extra=0,
    max_num=MAX_CHANNELS,
    validate_max=True,
    absolute_max=MAX_CHANNELS,
)
FIELDS = tuple(AccountChannelForm.base_fields)


def known_action(action):
    verb, _sep, index = action.partition("-")
    return action in (SAVE, OVERWRITE, ADD) or (verb in ROW_VERBS and index.isdigit())


def rows_edit(rows, action):
    """Add a row or move one (``up-<i>``, ``down-<i>``) before the form is
    shown again; the typed text moves with its row."""
    blank = {"id": "", "name": "", "online": "on", "archived": ""}
    return rows_edited(rows, action, blank=blank, limit=MAX_CHANNELS)


def formset_data(rows):
    return formset_rows_data(
        PREFIX, FIELDS, rows, limit=MAX_CHANNELS, checkboxes=("online", "archived")
    )


class ChannelListEditor:
    """The list's formset, bound to a POST (with a row action applied) or to
    the stored channels, and ``base``: the list as the page was loaded
    (services.channel_list_snapshot), None when a POST lacks it."""

    def __init__(self, data=None, *, channels=None):
        if data is None:
            self.action = ""
            self.row_count = len(channels)
            self.base = services.channel_list_snapshot(channels)
            self.formset = ChannelListFormSet(
                initial=[
                    {
                        "id": channel.pk,
                        "name": channel.name,
                        "online": channel.online,
                        "archived": channel.archived,
                    }
                    for channel in channels
                ],
                prefix=PREFIX,
            )
            self.data = None
            return
        self.data = data
        self.action = data.get("action", "")
        management = ChannelListFormSet(data, prefix=PREFIX).management_form
        total = (
            management.cleaned_data["TOTAL_FORMS"] if management.is_valid() else None
        )
        self.row_count = total if total is not None and total <= MAX_CHANNELS else None
        rows = [
            {field: data.get(f"{PREFIX}-{index}-{field}", "") for field in FIELDS}
            for index in range(self.row_count or 0)
        ]
        if self.action not in (SAVE, OVERWRITE):
            rows = rows_edit(rows, self.action)
        self.formset = ChannelListFormSet(formset_data(rows), prefix=PREFIX)
        self.base = data.get("base_channels")

    @property
    def focus_last(self):
        return self.action == ADD

    def is_complete(self):
        """Only a POST the page sends is acted on: a known action, every
        field of every row the count names, and for 保存 the list as loaded
        (base_channels). An unchecked box sends nothing and is not asked for."""
        if self.row_count is None or not known_action(self.action):
            return False
        if self.action == SAVE and self.base is None:
            return False
        sent = ChannelListFormSet(self.data, prefix=PREFIX)
        beyond = AccountChannelForm(prefix=sent.add_prefix(self.row_count))
        return all(sent_in_full(form) for form in sent.forms) and not any(
            bound.html_name in self.data for bound in beyond
        )

    def is_valid(self):
        return self.formset.is_valid()

    def rows(self):
        """The rows to save (services.ChannelEdit), blank new rows skipped,
        each with the index of its form."""
        return [
            (
                index,
                services.ChannelEdit(
                    id=form.cleaned_data["id"],
                    name=form.cleaned_data["name"],
                    online=form.cleaned_data["online"],
                    archived=form.cleaned_data["archived"],
                ),
            )
            for index, form in enumerate(self.formset.forms)
            if form.cleaned_data
        ]
