"""
Minimal Django settings for running Django OAuth Toolkit (Debian's python3-django-oauth-toolkit)
as a real OAuth 2.0 / OIDC server in lmi's tests. All OAuth logic is DOT's (and oauthlib's);
this file only configures it. Per-run values come from the environment (set by serve.py):

  DOT_DB            path of the sqlite database (in the test's temp dir)
  DOT_RSA_KEY_FILE  path of the PEM RSA private key used to sign ID tokens (generated per run)
  DOT_ACCESS_TOKEN_EXPIRE_SECONDS  access token lifetime (default 3600)
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "lmi-tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "dotproject.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DOT_DB", str(BASE_DIR / "unset.sqlite3")),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

LOGIN_URL = "/accounts/login/"

_key_file = os.environ.get("DOT_RSA_KEY_FILE")
_rsa_key = Path(_key_file).read_text() if _key_file else ""

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _rsa_key,
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Profile",
        "email": "Email",
        "offline_access": "Offline access",
        "api.read": "Read the API",
        "api.write": "Write the API",
        "introspection": "Introspect tokens",
    },
    # Without a scope parameter, tokens get just api.read (DOT's default would be every scope).
    "DEFAULT_SCOPES": ["api.read"],
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TOKEN_EXPIRE_SECONDS", "3600")),
    "REQUEST_APPROVAL_PROMPT": "force",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "oauth2_provider": {"handlers": ["stderr"], "level": "DEBUG"},
        "django.request": {"handlers": ["stderr"], "level": "WARNING"},
    },
}
