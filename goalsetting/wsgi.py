"""WSGI entry point (gunicorn goalsetting.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goalsetting.settings")
application = get_wsgi_application()
