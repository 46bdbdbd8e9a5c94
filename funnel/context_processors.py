"""Template context shared by every page: the member and their account."""


def membership(request):
    # The middleware's lazy stand-in (or the membership itself, once an access
    # decorator has found it): a template that never shows it never reads it.
    return {"membership": getattr(request, "membership", None)}
