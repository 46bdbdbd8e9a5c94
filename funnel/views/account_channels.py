"""The account's channel list (/account/channels/): marketers and admins add,
rename, reorder and archive the channels that worksheets and the plan per
channel pick from."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from funnel import notices, selectors, services
from funnel.access import editor_required
from funnel.forms.channels import OVERWRITE, SAVE, ChannelListEditor

TEMPLATE = "funnel/account_channels.html"


def _render(request, editor, *, status=200, conflict=None):
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            "editor": editor,
            "formset": editor.formset,
            "conflict": conflict,
            "reload_url": reverse("funnel:account-channels"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@editor_required
def channels(request):
    """The list, 保存 (refused if someone saved the list since the page was
    loaded), 上書き保存, and the no-save row edits (＋ チャネルを追加, ↑ ↓)."""
    if request.method == "GET":
        stored = selectors.channel_list(account=request.account, archived=True)
        return _render(request, ChannelListEditor(channels=stored))
    editor = ChannelListEditor(request.POST)
    if not editor.is_complete():
        messages.error(request, notices.INCOMPLETE_FORM)
        editor.base = None
        return _render(request, editor, status=400)
    if editor.action not in (SAVE, OVERWRITE):
        return _render(request, editor)
    if not editor.is_valid():
        messages.error(request, notices.FORM_HAS_ERRORS)
        return _render(request, editor)
    rows = editor.rows()
    try:
        changed = services.channel_list_save(
            account=request.account,
            rows=[row for _index, row in rows],
            user=request.user,
            expected=editor.base if editor.action == SAVE else None,
        )
    except services.SaveConflict as conflict:
        messages.error(request, conflict.message)
        return _render(request, editor, status=409, conflict=conflict)
    except services.ChannelGone:
        # Another account's channel (or none): the same answer as a page
        # that does not exist, and nothing written.
        raise Http404 from None
    except services.ChannelNameTaken as taken:
        form = editor.formset.forms[rows[taken.index][0]]
        form.add_error("name", taken.message)
        messages.error(request, notices.FORM_HAS_ERRORS)
        return _render(request, editor)
    except services.FieldRefused as refused:
        messages.error(request, refused.message)
        return _render(request, editor)
    except services.ServiceError as refused:
        messages.error(request, refused.message)
        return _render(request, editor, status=400)
    if changed:
        messages.success(request, _("チャネル一覧を保存しました。"))
    else:
        messages.info(request, _("変更はありませんでした。"))
    return redirect("funnel:account-channels")
