"""Template context shared by every page: the member and their account."""


def membership(request):
    membership = getattr(request, "membership", None)
    if membership is not None and not getattr(membership, "pk", None):
        membership = None
    return {"membership": membership}
