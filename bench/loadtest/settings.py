"""The production settings for the load test, with the static files collected
into the run's own directory (LOADTEST_STATIC_ROOT), not the project's
staticfiles/ that the benchmark uses.

Hashed names without whitenoise's compression: the pages render the same
``/static/…<hash>.css`` URLs, and collectstatic takes under a second instead
of about fifteen. The load test requests pages, not static files, so the
compression it leaves out is never measured anyway.
"""

import os

from goalsetting.settings import *  # noqa: F403
from goalsetting.settings import STORAGES

STATIC_ROOT = os.environ["LOADTEST_STATIC_ROOT"]
STORAGES = {
    **STORAGES,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}
