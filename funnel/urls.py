from django.urls import path, register_converter

from funnel.models import MAX_YEAR, MIN_YEAR
from funnel.views import account, actuals, actuals_import, export, grid, worksheets


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
]

urlpatterns += [
    path("worksheets/", worksheets.worksheet_list, name="worksheet-list"),
    path("worksheets/new/", worksheets.worksheet_new, name="worksheet-new"),
    path("worksheets/<int:pk>/", worksheets.worksheet_detail, name="worksheet-detail"),
    path(
        "worksheets/<int:pk>/duplicate/",
        worksheets.worksheet_duplicate,
        name="worksheet-duplicate",
    ),
    path(
        "worksheets/<int:pk>/delete/",
        worksheets.worksheet_delete,
        name="worksheet-delete",
    ),
    path(
        "worksheets/<int:pk>/print/", worksheets.worksheet_print, name="worksheet-print"
    ),
    path(
        "worksheets/<int:pk>/apply/", worksheets.worksheet_apply, name="worksheet-apply"
    ),
]

urlpatterns += [
    path(
        "worksheets/<int:pk>/history/",
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
        "worksheets/<int:pk>/export.xlsx",
        export.worksheet_export_xlsx,
        name="worksheet-export-xlsx",
    ),
]

# Account administration (funnel/views/account.py)
urlpatterns += [
    path("account/members/", account.members, name="account-members"),
    path(
        "account/members/<int:pk>/role/",
        account.member_role,
        name="account-member-role",
    ),
    path(
        "account/members/<int:pk>/remove/",
        account.member_remove,
        name="account-member-remove",
    ),
    path("account/settings/", account.settings_view, name="account-settings"),
    path("account/switch/", account.switch, name="account-switch"),
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
        "worksheets/<int:pk>/actuals/",
        worksheets.worksheet_actuals,
        name="worksheet-actuals",
    ),
]
