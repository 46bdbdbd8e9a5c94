"""Test settings: the production settings, served over plain HTTP, on the database
named by DATABASE_URL (SQLite when unset)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", "sqlite:///test-db.sqlite3")

from goalsetting.settings import *  # noqa: F403

# The manifest storage needs collectstatic; the tests serve static files from
# the finders instead (the benchmark checks the production storage).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Fast hashing: the tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
# Nor from STATIC_ROOT, which whitenoise would serve first: the benchmark's
# collectstatic leaves an app.js there that the browser tests would run
# instead of the one being tested.
STATIC_ROOT = None
