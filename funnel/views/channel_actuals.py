"""チャネル別の実績: each channel's actuals typed per month, beside its
targets, with the year to date and the channel furthest behind named first."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import member_required
from funnel.domain.channel_achievement import (
    by_achievement,
    channel_achievements,
    furthest_behind,
)
from funnel.domain.grid import fiscal_months
from funnel.formatting import year_label
from funnel.forms.channel_actuals import ChannelActualForm, cv_name, visits_name
from funnel.forms.fields import sent_in_full
from funnel.models import ChangeSource
from funnel.rendering import page_or_fragment, wants_fragment
from funnel.views.years import year_nav

TEMPLATE = "funnel/channel_actuals.html"
logger = logging.getLogger(__name__)

# What the page's buttons send: 実績を保存, and 上書き保存 after a conflict.
SAVE_ACTIONS = ("save", "overwrite")


class Cell:
    """An input of the page: its field, the value it had when the page was
    loaded, and whether the caret goes there after a refused save."""

    __slots__ = ("autofocus", "base", "field")

    def __init__(self, form, name, first_error):
        self.field = form[name]
        self.base = form.base_text(name)
        self.autofocus = name == first_error


class Row:
    __slots__ = ("achievement", "cv", "visits")

    def __init__(self, achievement, cv, visits):
        self.achievement = achievement
        self.cv = cv
        self.visits = visits


class Section:
    """One channel's table: its achievement and its months' inputs."""

    __slots__ = ("achievement", "channel", "rows")

    def __init__(self, channel, achievement, rows):
        self.channel = channel
        self.achievement = achievement
        self.rows = rows


def _first_error(form):
    if not form.is_bound or form.is_valid():
        return None
    return next((name for name in form.fields if form.has_error(name)), None)


def _context(request, year, channels, plan, form, conflict=None, saved=False):
    months = fiscal_months(year, request.account.fiscal_year_start_month)
    achievements = channel_achievements(
        plan, form.values(), months, timezone.localdate()
    )
    first_error = _first_error(form)
    sections = []
    for channel, achievement in zip(channels, achievements, strict=True):
        rows = [
            Row(
                month,
                Cell(form, cv_name(channel.pk, month.month), first_error),
                Cell(form, visits_name(channel.pk, month.month), first_error)
                if channel.online
                else None,
            )
            for month in achievement.months
        ]
        sections.append(Section(channel, achievement, rows))
    return {
        **year_nav(request.account, year),
        "sections": sections,
        "ranking": by_achievement(achievements),
        "behind": furthest_behind(achievements),
        "can_edit": request.membership.can_edit,
        "form": form,
        "conflict": conflict,
        "saved": saved,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def channel_actuals_page(request, year):
    """Enter each channel's actuals of a year and see them against its plan."""
    channels, plan, actuals = selectors.channel_actual_year(
        account=request.account, year=year
    )
    if request.method == "GET":
        form = ChannelActualForm(channels=channels, actuals=actuals)
        return TemplateResponse(
            request, TEMPLATE, _context(request, year, channels, plan, form)
        )
    if not request.membership.can_edit:
        raise PermissionDenied
    return _post(request, year, channels, plan, actuals)


def _post(request, year, channels, plan, actuals):
    """保存 (refused if someone saved since the page was loaded) or 上書き保存.
    Only a complete form writes: a field not sent is not a field emptied."""
    action = request.POST.get("action")
    form = ChannelActualForm(request.POST, channels=channels, actuals=actuals)
    status, conflict, saved = 200, None, False
    # A channel added since the page was loaded has no fields in it: the
    # form is incomplete, and nothing is written.
    if action not in SAVE_ACTIONS or not sent_in_full(
        form, *form.base_names(action == "save")
    ):
        messages.error(request, notices.INCOMPLETE_FORM)
        form = ChannelActualForm(
            form.completed_data(), channels=channels, actuals=actuals
        )
        status = 400
    elif not form.is_valid():
        messages.error(request, notices.FORM_HAS_ERRORS)
    else:
        try:
            changed = services.channel_actual_year_save(
                account=request.account,
                year=year,
                values=form.values(),
                user=request.user,
                expected=form.base_values() if action == "save" else None,
                source=ChangeSource.INPUT
                if action == "save"
                else ChangeSource.OVERWRITE,
            )
        except services.SaveConflict as refused:
            messages.error(request, refused.message)
            status, conflict = 409, refused
        except DatabaseError:
            logger.exception("saving the channel actuals of %s failed", year)
            messages.error(request, notices.SAVE_FAILED)
            status = 503
        else:
            messages.success(
                request,
                _("%(label)sのチャネル別の実績を保存しました（%(count)d件の変更）。")
                % {"label": year_label(request.account, year), "count": changed},
            )
            if not wants_fragment(request):
                return redirect("funnel:goal-channel-actuals", year=year)
            channels, plan, actuals = selectors.channel_actual_year(
                account=request.account, year=year
            )
            form = ChannelActualForm(channels=channels, actuals=actuals)
            saved = True
    return page_or_fragment(
        request,
        TEMPLATE,
        "channel-actuals-form",
        _context(request, year, channels, plan, form, conflict, saved=saved),
        status=status,
    )
