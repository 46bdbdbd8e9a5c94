from django.urls import path

from funnel.views import grid

app_name = "funnel"

urlpatterns = [
    path("goals/", grid.goal_grid_current, name="goal-grid-current"),
    path("goals/<int:year>/", grid.goal_grid, name="goal-grid"),
    path("goals/<int:year>/recompute/", grid.goal_recompute, name="goal-recompute"),
]
