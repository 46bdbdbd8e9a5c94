"""What the live recomputes share: they are calculators, reading only the
numbers they are sent."""

from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import get_bytes_from_wsgi


def query_values(request):
    """The query string as {name: value}, the last value of a repeated name
    winning, as ``request.GET.get`` reads it.

    A recompute is sent the whole form, some fifty fields, on every
    keystroke; building a QueryDict of them cost a third of its time here.
    The pairs are split and unquoted as bytes (the standard library's faster
    path), then decoded; for anything a browser sends (percent-encoded UTF-8)
    that is what Django reads, tests/views/test_readers.py checks it. The
    limit on the number of fields is Django's."""
    raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
    encoding = request.encoding or settings.DEFAULT_CHARSET
    try:
        pairs = parse_qsl(
            raw,
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError as error:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded "
            "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        ) from error
    return {
        name.decode(encoding, "replace"): value.decode(encoding, "replace")
        for name, value in pairs
    }
