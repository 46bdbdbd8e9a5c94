"""Page or fragment: how every view that htmx swaps into answers."""

from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers


def wants_fragment(request):
    """An htmx request for a fragment; a history restore gets the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def page_or_fragment(request, template, partial, context, *, status=200):
    """The page, or over htmx its ``{% partialdef partial %}`` alone. The answer
    depends on HX-Request, and says so to caches."""
    if wants_fragment(request):
        template = f"{template}#{partial}"
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
