from django.urls import path

from funnel.views import grid, worksheets

app_name = "funnel"

urlpatterns = [
    path("goals/", grid.goal_grid_current, name="goal-grid-current"),
    path("goals/<int:year>/", grid.goal_grid, name="goal-grid"),
    path("goals/<int:year>/recompute/", grid.goal_recompute, name="goal-recompute"),
]

urlpatterns += [
    path("worksheets/", worksheets.worksheet_list, name="worksheet-list"),
    path("worksheets/new/", worksheets.worksheet_new, name="worksheet-new"),
    path(
        "worksheets/recompute/",
        worksheets.worksheet_recompute,
        name="worksheet-recompute",
    ),
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
