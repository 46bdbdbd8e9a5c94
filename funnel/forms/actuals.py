"""The actuals' forms: the year's 12 months typed in, and a CSV to import."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funnel.domain import actuals_csv, numbers
from funnel.domain.grid import MONTHS
from funnel.formatting import count_text
from funnel.forms.fields import CountField, LoadedBase
from funnel.forms.grid import UNREADABLE_BASE


class ActualYearForm(LoadedBase, forms.Form):
    """The 12 months' actual CV数 and site visits (実績) of a fiscal year."""

    def __init__(self, *args, actuals=None, **kwargs):
        actuals = actuals or {}
        initial = {}
        for month in MONTHS:
            actual = actuals.get(month)
            initial[f"actual_cv_{month}"] = count_text(actual and actual.cv_count)
            # Visits run to thousands: shown with separators, as everywhere.
            visits = actual and actual.visits
            initial[f"actual_visits_{month}"] = "" if visits is None else f"{visits:,}"
        super().__init__(*args, initial=initial, **kwargs)
        for month in MONTHS:
            self.fields[f"actual_cv_{month}"] = CountField(
                label=_("%(month)d月 実績CV数") % {"month": month}
            )
            self.fields[f"actual_visits_{month}"] = CountField(
                label=_("%(month)d月 実績訪問数") % {"month": month}
            )
        self.actuals = actuals

    def month_values(self):
        """{month: (cv, visits)}: cleaned input when bound (None where refused),
        else what is stored."""
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
            return {
                m: (data.get(f"actual_cv_{m}"), data.get(f"actual_visits_{m}"))
                for m in MONTHS
            }
        return {
            m: (actual.cv_count, actual.visits)
            if (actual := self.actuals.get(m))
            else (None, None)
            for m in MONTHS
        }

    def base_values(self):
        """{month: (cv, visits)} as loaded, for ``services.actual_year_save``'s
        ``expected``; None when unbound. A base this page did not write is
        never equal to a stored value, so the save is refused as a conflict."""
        if not self.is_bound:
            return None
        values = {}
        for month in MONTHS:
            try:
                values[month] = (
                    numbers.parse_count(self.base_text(f"actual_cv_{month}")),
                    numbers.parse_count(self.base_text(f"actual_visits_{month}")),
                )
            except numbers.ParseError:
                values[month] = (UNREADABLE_BASE, UNREADABLE_BASE)
        return values

    def completed_data(self):
        """The posted data with each field (and base) it lacks as the page
        shows it now: an incomplete post is shown again with what it carried,
        and no cell that was never sent looks emptied, ready to be saved so."""
        data = self.data.copy()
        for name in self.fields:
            for key in (name, f"base_{name}"):
                if key not in data:
                    data[key] = self.initial[name]
        return data


ACTUALS_COLUMN_NAMES = {
    actuals_csv.MONTH: _("月"),
    actuals_csv.VISITS: _("訪問数"),
    actuals_csv.CV: _("CV数"),
}
ACTUALS_CSV_MESSAGES = {
    "too_large": _(
        "ファイルが大きすぎます。%(limit)s以下のCSVファイルを選んでください。"
    ),
    "xlsx": _(
        "Excelファイル（.xlsx）は読み込めません。Excelで「CSV UTF-8」または「CSV」形式で保存してから選んでください。"
    ),
    "encoding": _(
        "文字コードを読み取れません。UTF-8 または Shift_JIS で保存したCSVファイルを選んでください。"
    ),
    "not_csv": _(
        "CSVファイルとして読み取れません。カンマ区切りのテキストファイル（.csv）を選んでください。"
    ),
    "empty": _(
        "ファイルが空です。見出しの行とデータの行があるCSVファイルを選んでください。"
    ),
    "missing_columns": _(
        "必要な列が見つかりません: %(names)s。見出しの行に「月」の列と、「訪問数」または「CV数」の列が必要です（使える見出しは下の説明を参照）。"
    ),
    "ambiguous_column": _(
        "同じ項目の列が複数あります: %(names)s。どちらを取り込むか決められないため、一方の列を削除してください。"
    ),
}


class ActualsImportForm(forms.Form):
    """The CSV upload: its file, read for one fiscal year, becomes an
    ``actuals_csv.ActualsImport`` (``cleaned_data["file"]``) or a message."""

    file = forms.FileField(label=_("CSVファイル"))

    def __init__(self, *args, fiscal_year, start_month, **kwargs):
        super().__init__(*args, **kwargs)
        self.fiscal_year = fiscal_year
        self.start_month = start_month
        self.fields["file"].error_messages.update(
            required=_("CSVファイルを選んでください。"),
            invalid=_("CSVファイルを選んでください。"),
            empty=ACTUALS_CSV_MESSAGES["empty"],
        )

    @staticmethod
    def size_limit():
        return f"{actuals_csv.MAX_BYTES // (1024 * 1024)} MB"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # The size the client declared is not trusted: at most one byte
            # past the limit is read, and the parser refuses that.
            if upload.size > actuals_csv.MAX_BYTES:
                raise actuals_csv.CsvError("too_large")
            return actuals_csv.parse_actuals_csv(
                upload.read(actuals_csv.MAX_BYTES + 1),
                fiscal_year=self.fiscal_year,
                start_month=self.start_month,
            )
        except actuals_csv.CsvError as error:
            if error.code == "missing_columns":
                names = "、".join(str(ACTUALS_COLUMN_NAMES[n]) for n in error.names)
            else:  # the file's own headers
                names = "、".join(f"「{name}」" for name in error.names)
            raise forms.ValidationError(
                ACTUALS_CSV_MESSAGES[error.code]
                % {"limit": self.size_limit(), "names": names},
                code=error.code,
            ) from None
