"""Settings for the test suite: the real settings with test-friendly defaults.

``DATABASE_URL`` still selects the database, so the same suite runs on PostgreSQL
(``python -m tests.support.pgcluster -- pytest tests/web``).
"""

import os
import tempfile

os.environ.setdefault("BALM_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("BALM_TASKS_BACKEND", "immediate")
os.environ.setdefault("BALM_DATA_DIR", tempfile.gettempdir())
os.environ.setdefault("BALM_SITE_URL", "https://balm.example.org")

from balm.web.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The hundreds of staff tests sign in with force_login and no second step; the tests of
# two-factor sign-in itself switch it back on (tests/web/test_two_factor.py and the browser).
BALM_STAFF_2FA = False
# The cache that counts unknown personal links lives as long as a test process; the tests of
# the limit set it low themselves (tests/web/test_sign_in_limits.py).
BALM_LINK_FAILURES_PER_HOUR = 10_000
