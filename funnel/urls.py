from django.urls import path

from funnel.views import account, actuals, actuals_import, export, grid, worksheets

app_name = "funnel"

urlpatterns = [
    # The live recomputes first: they are resolved on every keystroke.
    path("goals/<int:year>/recompute/", grid.goal_recompute, name="goal-recompute"),
    path(
        "worksheets/recompute/",
        worksheets.worksheet_recompute,
        name="worksheet-recompute",
    ),
    path("goals/", grid.goal_grid_current, name="goal-grid-current"),
    path("goals/<int:year>/", grid.goal_grid, name="goal-grid"),
    path("goals/<int:year>/overview/", grid.goal_overview, name="goal-overview"),
    path("goals/<int:year>/review/", grid.goal_review, name="goal-review"),
    path("goals/<int:year>/history/", grid.goal_history, name="goal-history"),
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
    path("goals/<int:year>/export.csv", export.goal_export_csv, name="goal-export-csv"),
    path(
        "goals/<int:year>/export.xlsx", export.goal_export_xlsx, name="goal-export-xlsx"
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
    path("goals/<int:year>/actuals/", actuals.actuals_page, name="goal-actuals"),
    path(
        "goals/<int:year>/actuals/export.csv",
        export.actuals_export_csv,
        name="goal-actuals-export-csv",
    ),
    path(
        "goals/<int:year>/actuals/import/",
        actuals_import.import_upload,
        name="goal-actuals-import",
    ),
    path(
        "goals/<int:year>/actuals/import/confirm/",
        actuals_import.import_confirm,
        name="goal-actuals-import-confirm",
    ),
    path(
        "worksheets/<int:pk>/actuals/",
        worksheets.worksheet_actuals,
        name="worksheet-actuals",
    ),
]
