from django.urls import path, register_converter

from funnel.models import MAX_YEAR, MIN_YEAR
from funnel.views import (
    account,
    actuals,
    actuals_import,
    export,
    grid,
    reviews,
    worksheets,
)


class YearConverter:
    """A plan's year, 2000 to 2100: any other is a 404 before a view runs."""

    regex = "[0-9]{4}"

    def to_python(self, value):
        year = int(value)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(year)
        return year

    def to_url(self, value):
        return str(value)


register_converter(YearConverter, "year")


class IdConverter:
    """A row's id, 1 to 2**63 - 1 (a BigAutoField's range): a larger one is a
    404 before a view runs, whatever the method, on every database."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        pk = int(value)
        if not 1 <= pk < 2**63:
            raise ValueError(pk)
        return pk

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "funnel"

urlpatterns = [
    # The live recomputes first: they are resolved on every keystroke.
    path("goals/<year:year>/recompute/", grid.goal_recompute, name="goal-recompute"),
    path(
        "worksheets/recompute/",
        worksheets.worksheet_recompute,
        name="worksheet-recompute",
    ),
    path("goals/", grid.goal_grid_current, name="goal-grid-current"),
    path("goals/<year:year>/", grid.goal_grid, name="goal-grid"),
    path("goals/<year:year>/overview/", grid.goal_overview, name="goal-overview"),
    path("goals/<year:year>/review/", grid.goal_review, name="goal-review"),
    path("goals/<year:year>/history/", grid.goal_history, name="goal-history"),
    # 承認待ち: the manager's start page (home and sign-in send them here).
    path("reviews/", reviews.reviews, name="reviews"),
]

urlpatterns += [
    path("worksheets/", worksheets.worksheet_list, name="worksheet-list"),
    path("worksheets/new/", worksheets.worksheet_new, name="worksheet-new"),
    path("worksheets/<id:pk>/", worksheets.worksheet_detail, name="worksheet-detail"),
    path(
        "worksheets/<id:pk>/duplicate/",
        worksheets.worksheet_duplicate,
        name="worksheet-duplicate",
    ),
    path(
        "worksheets/<id:pk>/delete/",
        worksheets.worksheet_delete,
        name="worksheet-delete",
    ),
    path(
        "worksheets/<id:pk>/print/", worksheets.worksheet_print, name="worksheet-print"
    ),
    path(
        "worksheets/<id:pk>/apply/", worksheets.worksheet_apply, name="worksheet-apply"
    ),
]

urlpatterns += [
    path(
        "worksheets/<id:pk>/history/",
        worksheets.worksheet_history,
        name="worksheet-history",
    ),
]

# Exports (funnel/views/export.py)
urlpatterns += [
    path(
        "goals/<year:year>/export.csv", export.goal_export_csv, name="goal-export-csv"
    ),
    path(
        "goals/<year:year>/export.xlsx",
        export.goal_export_xlsx,
        name="goal-export-xlsx",
    ),
    path(
        "worksheets/<id:pk>/export.xlsx",
        export.worksheet_export_xlsx,
        name="worksheet-export-xlsx",
    ),
]

# Account administration (funnel/views/account.py)
urlpatterns += [
    path("account/members/", account.members, name="account-members"),
    path(
        "account/members/<id:pk>/role/",
        account.member_role,
        name="account-member-role",
    ),
    path(
        "account/members/<id:pk>/remove/",
        account.member_remove,
        name="account-member-remove",
    ),
    path("account/settings/", account.settings_view, name="account-settings"),
    path(
        "account/invitations/<id:pk>/cancel/",
        account.invitation_cancel,
        name="account-invitation-cancel",
    ),
    path("account/switch/", account.switch, name="account-switch"),
    # The signed-in user's own invitations, from any account.
    path("invitations/", account.invitations, name="invitations"),
    path(
        "invitations/<id:pk>/accept/",
        account.invitation_accept,
        name="invitation-accept",
    ),
    path(
        "invitations/<id:pk>/decline/",
        account.invitation_decline,
        name="invitation-decline",
    ),
]

# Actuals (実績) and achievement
urlpatterns += [
    path("goals/<year:year>/actuals/", actuals.actuals_page, name="goal-actuals"),
    path(
        "goals/<year:year>/actuals/export.csv",
        export.actuals_export_csv,
        name="goal-actuals-export-csv",
    ),
    path(
        "goals/<year:year>/actuals/import/",
        actuals_import.import_upload,
        name="goal-actuals-import",
    ),
    path(
        "goals/<year:year>/actuals/import/confirm/",
        actuals_import.import_confirm,
        name="goal-actuals-import-confirm",
    ),
    path(
        "worksheets/<id:pk>/actuals/",
        worksheets.worksheet_actuals,
        name="worksheet-actuals",
    ),
]

# The account's channel list (funnel/views/account_channels.py)
from funnel.views import account_channels  # noqa: E402

urlpatterns += [
    path("account/channels/", account_channels.channels, name="account-channels"),
]

# Actuals per channel and the GA4 import (funnel/views/channel_actuals*.py)
from funnel.views import channel_actuals, channel_actuals_import  # noqa: E402

urlpatterns += [
    path(
        "goals/<year:year>/actuals/channels/",
        channel_actuals.channel_actuals_page,
        name="goal-channel-actuals",
    ),
    path(
        "goals/<year:year>/actuals/channels/import/",
        channel_actuals_import.ga4_import_upload,
        name="goal-channel-actuals-import",
    ),
    path(
        "goals/<year:year>/actuals/channels/import/confirm/",
        channel_actuals_import.ga4_import_confirm,
        name="goal-channel-actuals-import-confirm",
    ),
]

# The year's plan per channel (funnel/views/channels.py)
from funnel.views import channels as channel_plan  # noqa: E402

urlpatterns = [
    # A live recompute: first, as the others.
    path(
        "goals/<year:year>/channels/recompute/",
        channel_plan.channel_recompute,
        name="goal-channels-recompute",
    ),
    *urlpatterns,
    path(
        "goals/<year:year>/channels/",
        channel_plan.channel_plan_page,
        name="goal-channels",
    ),
    path(
        "goals/<year:year>/channels/total/",
        channel_plan.goal_mode_total,
        name="goal-mode-total",
    ),
]
