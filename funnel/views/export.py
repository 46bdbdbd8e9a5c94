"""Exports: the year's grid as CSV and XLSX, a worksheet as XLSX."""

from django.http import Http404


# Placeholders replaced by the export work in progress.
def goal_export_csv(request, year):
    raise Http404


goal_export_xlsx = goal_export_csv


def worksheet_export_xlsx(request, pk):
    raise Http404
