"""What the live recomputes share: they are calculators, reading only the
numbers they are sent."""

import re
from functools import lru_cache
from itertools import repeat
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import HttpResponse

# An escaped '&' or '=' (typed in a name or a value): the query must then be
# split before it is unquoted, pair by pair.
_ESCAPED_SEPARATOR = re.compile(rb"%(?:26|3[dD])")
# A run of escaped bytes (%XX, either case), such as a word of Japanese; a '%'
# not followed by two hex digits is not one and stays as it is. The leading
# literal '%' lets the regex engine skip to each '%' instead of trying every
# position.
_ESCAPED_RUN = re.compile(rb"%[0-9A-Fa-f][0-9A-Fa-f](?:%[0-9A-Fa-f][0-9A-Fa-f])*")


def _unquoted(run):
    return bytes.fromhex(run[0].replace(b"%", b"").decode("ascii"))


def unquote_to_bytes(raw):
    """As urllib.parse.unquote_to_bytes, a run of escapes at a time instead of
    an escape at a time: a Japanese character is three escapes, and the
    standard library's loop over them was a fifth of the worksheet
    recompute view's own time. tests/views/test_readers.py holds the two to
    the same answer for any bytes."""
    return _ESCAPED_RUN.sub(_unquoted, raw)


def _read_pair(raw, encoding):
    """(name, value) of a name=value pair holding no escaped '&' or '='."""
    text = unquote_to_bytes(raw.replace(b"+", b" ")).decode(encoding, "replace")
    return tuple(text.partition("=")[::2])


# A keystroke changes one pair of the query and the others come back as they
# were: each worker remembers the last few thousand pairs it read, none
# longer than this (a worksheet's name, a hundred Japanese characters, is
# some 900 bytes escaped), so that what is remembered stays small.
REMEMBERED_PAIR = 1024
_remembered_pair = lru_cache(maxsize=4096)(_read_pair)


def query_values(request):
    """The query string as {name: value}, the last value of a repeated name
    winning, as ``request.GET.get`` reads it.

    A recompute is sent the whole form, some fifty fields, on every
    keystroke; building a QueryDict of them cost a third of its time here,
    unquoting each name and value in turn (the standard library's parse_qsl)
    still a fifth. Unless a '&' or '=' was typed, the query is split into
    its pairs as bytes, and each pair is unquoted and decoded as a whole,
    remembered by each worker: a keystroke changes one pair. Else the query
    is read pair by pair, name and value apart. For anything a browser sends
    (percent-encoded UTF-8) that is what Django reads, and
    tests/views/test_readers.py checks it. The limit on the number of fields
    is Django's, counted as Django counts it."""
    raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
    encoding = request.encoding or settings.DEFAULT_CHARSET
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and raw.count(b"&") >= limit:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded "
            "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        )
    if not _ESCAPED_SEPARATOR.search(raw):
        pairs = raw.split(b"&")
        if b"" in pairs:  # "&&", or a "&" at either end: no pair there
            pairs = [pair for pair in pairs if pair]
        if not pairs:
            return {}
        # Remembered unless one is too long (then none is, for simplicity).
        read = (
            _remembered_pair if max(map(len, pairs)) <= REMEMBERED_PAIR else _read_pair
        )
        return dict(map(read, pairs, repeat(encoding)))
    pairs = parse_qsl(raw, keep_blank_values=True)
    return {
        name.decode(encoding, "replace"): value.decode(encoding, "replace")
        for name, value in pairs
    }


def sent_by_htmx(request):
    """Whether htmx sent the request, as ``bool(request.htmx)`` says, read from
    the WSGI environ: django-htmx reads the header from ``request.headers``,
    which Django builds from every header on first use (about 5 µs here, as
    much as reading a month's two cells); a recompute reads no other header."""
    return request.META.get("HTTP_HX_REQUEST") == "true"


def answer(fragments):
    """The recompute's HTML fragments as a response. Told its charset (the
    default one, as always), HttpResponse does not read it back out of the
    Content-Type header it has just written to encode the body (a regex
    match, a fifth of building the response)."""
    return HttpResponse(fragments, charset=settings.DEFAULT_CHARSET)
