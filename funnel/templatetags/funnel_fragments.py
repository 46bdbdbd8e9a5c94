"""{% fragment %}: markup that is the same for every request with the same key,
rendered once per process.

    {% fragment grid-head request.LANGUAGE_CODE year fiscal_start %}
      …the menus, labels and links that only these values change…
    {% endfragment %}

Like Django's ``{% cache %}``, without what a shared cache needs and these
fragments do not: no expiry, no pickling, no hashed key, no lock. A
fragment's inputs never change while the process runs (translations, URLs,
templates), so a process keeps each one until it restarts, which every deploy
does; a lookup is a dict's (a {% cache %} hit cost some 30 µs here, and a
page has eight). Only what the key names may vary inside a fragment: nothing
of a request (a CSRF token, a nonce, messages) belongs in one.
"""

from django import template

register = template.Library()

# At most this many fragments a process: beyond it the oldest go (a handful
# of fragments per language, year and role; the signed-in header is one per
# user, the largest share).
MAX_FRAGMENTS = 10_000
_fragments = {}


class FragmentNode(template.Node):
    def __init__(self, name, vary_on, nodelist):
        self.name = name
        self.vary_on = vary_on
        self.nodelist = nodelist

    def render(self, context):
        key = (self.name, *(str(value.resolve(context)) for value in self.vary_on))
        try:
            return _fragments[key]
        except KeyError:
            pass
        markup = self.nodelist.render(context)
        if len(_fragments) >= MAX_FRAGMENTS:
            _fragments.pop(next(iter(_fragments)), None)
        _fragments[key] = markup
        return markup


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% fragment %} needs a name")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(bits[1], [parser.compile_filter(b) for b in bits[2:]], nodelist)


def clear():
    """Forget every fragment (tests that change what a fragment shows)."""
    _fragments.clear()
