"""The account admin's pages: members, settings; and the account switcher."""

from django.http import Http404


# Placeholders replaced by the account-administration work in progress.
def members(request):
    raise Http404


member_role = member_remove = settings_view = switch = members
