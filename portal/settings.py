"""Every setting comes from the environment; the defaults make the embedded demo.

See `.env.example` for the full list of variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from xstatic.pkg import bootstrap as xstatic_bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envfloat(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def envlist(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
# The demo and the tests run on this placeholder; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-demo-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "channels",
    "portal",
    "accounts",
    "collaborators",
    "orders",
    "commissions",
    "nfreport",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.input_guard.ControlCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "collaborators.middleware.CollaboratorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Staff have local passwords; reseller users have none, so this never matches them.
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.EcommerceBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth serves login and logout and enforces the login rate limits.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
# allauth keeps the login form's password field only if sign-up names one (sign-up is closed).
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LOGIN_RATE_LIMIT", "10/m/ip,5/5m/key"),
}

# The e-commerce user store that authenticates reseller users (DESIGN §5).
ECOMMERCE_STORE = os.environ.get("ECOMMERCE_STORE", "local")  # "local" or "http"
ECOMMERCE_AUTH_URL = os.environ.get("ECOMMERCE_AUTH_URL", "")
ECOMMERCE_CLIENT_ID = os.environ.get("ECOMMERCE_CLIENT_ID", "")
ECOMMERCE_CLIENT_SECRET = os.environ.get("ECOMMERCE_CLIENT_SECRET", "")
ECOMMERCE_TIMEOUT = envfloat("ECOMMERCE_TIMEOUT", 5.0)
ECOMMERCE_PASSWORD_RESET_URL = os.environ.get(
    "ECOMMERCE_PASSWORD_RESET_URL", "https://ecommerce.example/conta/esqueci-minha-senha"
)
ECOMMERCE_NEW_USER_URL = os.environ.get(
    "ECOMMERCE_NEW_USER_URL", "https://ecommerce.example/conta/usuarios"
)

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Brazilian Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bootstrap", xstatic_bootstrap.BASE_DIR),
]
# Production runs `collectstatic` and sets STATIC_MANIFEST=1 for hashed, compressed files.
STATIC_MANIFEST = envbool("STATIC_MANIFEST", False)
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Invoice PDFs and XMLs live here; they are never served under a public URL.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY") else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
