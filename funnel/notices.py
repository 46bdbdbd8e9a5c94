"""Messages that several pages show, each written once."""

from django.utils.translation import gettext_lazy as _

FORM_HAS_ERRORS = _(
    "入力内容に誤りがあります。赤く表示された欄を直してから保存してください。"
)
SAVE_FAILED = _(
    "保存できませんでした（サーバーの一時的な問題）。入力内容はそのまま残っています。少し待ってからもう一度保存してください。"
)
ROLE_NOT_LISTED = _("役割は一覧から選んでください。")
INCOMPLETE_FORM = _(
    "入力内容がそろっていないため保存しませんでした。ページを読み込み直してから、もう一度保存してください。"
)
# The same for an action that is not a save (a member's role, removal, invitation).
INCOMPLETE_REQUEST = _(
    "送信された内容がそろっていないため、何も変更していません。ページを読み込み直してから、もう一度操作してください。"
)
