"""Every setting comes from the environment; the defaults make the embedded demo.

See `.env.example` for the full list of variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from xstatic.pkg import bootstrap as xstatic_bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def envbool(name, default=False):
    """A yes/no variable. Anything but the words below stops the start: a typo such as
    SECURE_COOKIES=ture must not quietly turn a protection off."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a yes/no value: use one of "
        f"{', '.join(TRUE_WORDS + FALSE_WORDS)}."
    )


def _envnumber(name, default, kind, description):
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {description}.") from None


def envint(name, default):
    return _envnumber(name, default, int, "a whole number")


def envfloat(name, default):
    return _envnumber(name, default, float, "a number")


def envlist(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
# Whoever knows the key can forge signed values (password reset tokens, signed cookies), so a key
# published in this repository is only good for the demo on a developer's machine (DEBUG=1).
DEMO_SECRET_KEY = "insecure-demo-key-for-DEBUG-1-only"
PUBLIC_SECRET_KEYS = {
    DEMO_SECRET_KEY,
    "insecure-demo-key-set-SECRET_KEY-in-production",
    "change-me-to-a-long-random-string",
}
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not DEBUG and (not SECRET_KEY or SECRET_KEY in PUBLIC_SECRET_KEYS):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set, or is a placeholder published with the portal's source. Set it to "
        "a long random value, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. "
        "Only the demo (DEBUG=1) runs without one; `make test` makes up one for the tests."
    )
SECRET_KEY = SECRET_KEY or DEMO_SECRET_KEY
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
    # Last, and imported by nothing: `manage.py demo_data` and the runner of DEMO_STEPS.
    "demo",
]

# The demo data set (`manage.py demo_data`): each area app's steps, run in this order, each one
# reading what the earlier ones made; a rebuild wipes them in the reverse order.
DEMO_STEPS = [
    "accounts.demo.step",
    "collaborators.demo.step",
    # The billing companies, which issue the orders' NF-e.
    "commissions.demo.companies_step",
    "orders.demo.step",
    "commissions.demo.step",
    "nfreport.demo.step",
]

MIDDLEWARE = [
    "portal.security.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Up here with the CSP, so that an answer from a middleware below (a bad host) carries both.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.input_guard.ControlCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.cache_control.PrivateNoStoreMiddleware",
    "portal.session_expiry.SessionExpiryMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "collaborators.middleware.CollaboratorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

# What the home page shows, in this order, by dotted path: each app owns its tiles and charts.
# HOME_TILES: iterables of portal.dashboard.TileSource; HOME_CHARTS: functions of the request that
# return a portal.dashboard.Chart, or None for a user who may not see it.
HOME_TILES = ["commissions.dashboard.TILES", "orders.dashboard.TILES"]
HOME_CHARTS = ["orders.dashboard.order_chart", "commissions.dashboard.commission_chart"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

database_url = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(
        database_url or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # gunicorn's sync workers (gunicorn.conf.py) each hold one connection and reuse it, so
        # PostgreSQL sees at most one per worker and no request pays for a new connection. The
        # ASGI entry point forces 0: see portal/asgi.py.
        conn_max_age=envint("DB_CONN_MAX_AGE", 60 if database_url else 0),
        # A connection the database or a proxy closed while the worker was idle is replaced
        # before the request uses it, instead of failing that request.
        conn_health_checks=True,
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

# The e-commerce user store that authenticates reseller users.
ECOMMERCE_STORE = os.environ.get("ECOMMERCE_STORE", "local")  # "local" or "http"
# An https URL without a user name or password in it (accounts/checks.py checks it at startup).
ECOMMERCE_AUTH_URL = os.environ.get("ECOMMERCE_AUTH_URL", "")
# Development only: allows an http:// store URL, over which every password would cross in clear.
ECOMMERCE_ALLOW_HTTP = envbool("ECOMMERCE_ALLOW_HTTP", False)
ECOMMERCE_CLIENT_ID = os.environ.get("ECOMMERCE_CLIENT_ID", "")
ECOMMERCE_CLIENT_SECRET = os.environ.get("ECOMMERCE_CLIENT_SECRET", "")
# Seconds for the whole exchange with the store, from connecting to the answer's last byte.
ECOMMERCE_TIMEOUT = envfloat("ECOMMERCE_TIMEOUT", 5.0)
ECOMMERCE_PASSWORD_RESET_URL = os.environ.get(
    "ECOMMERCE_PASSWORD_RESET_URL", "https://ecommerce.example/conta/esqueci-minha-senha"
)
ECOMMERCE_NEW_USER_URL = os.environ.get(
    "ECOMMERCE_NEW_USER_URL", "https://ecommerce.example/conta/usuarios"
)

# Bounds on one file of `manage.py import_erp`, so that a hostile or broken export is refused
# with a clear message rather than exhausting memory or time. A real export fits well within
# them; README ("Importing ERP data") explains each default.
ERP_IMPORT_MAX_FILE_MB = envint("ERP_IMPORT_MAX_FILE_MB", 50)
ERP_IMPORT_MAX_XLSX_UNCOMPRESSED_MB = envint("ERP_IMPORT_MAX_XLSX_UNCOMPRESSED_MB", 200)
ERP_IMPORT_MAX_ROWS = envint("ERP_IMPORT_MAX_ROWS", 200_000)
ERP_IMPORT_MAX_COLUMNS = envint("ERP_IMPORT_MAX_COLUMNS", 200)
ERP_IMPORT_MAX_CSV_LINE_CHARS = envint("ERP_IMPORT_MAX_CSV_LINE_CHARS", 100_000)
ERP_IMPORT_MAX_ERRORS = envint("ERP_IMPORT_MAX_ERRORS", 100)
# The kinds of file that `manage.py import_erp` reads, in the order its help lists them: the
# dotted path of each app's sequence of portal.erp.Kind, imported on first use. A kind's name
# may appear only once across them.
ERP_KINDS = ["orders.erp.KINDS", "commissions.erp.KINDS"]

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

# SECURE_COOKIES=1 says the portal is served over HTTPS only. Cookies then travel over TLS only,
# under the __Host- prefix: the browser refuses such a cookie unless it is Secure, for Path=/ and
# without a Domain, so neither plain http nor a sibling subdomain can plant or overwrite one.
# Plain http is redirected and HSTS keeps browsers on https. The demo on http://127.0.0.1 keeps
# all of this off, or its browser would drop the cookies.
SECURE_COOKIES = envbool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE_COOKIES else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE_COOKIES else "csrftoken"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", SECURE_COOKIES)
# The load balancer's health check often speaks plain http to the workers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 365 * 24 * 60 * 60 if SECURE_COOKIES else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", True)
# The preload token lets anyone submit the domain to the browsers' built-in HSTS lists, which is
# slow to undo; those lists take registrable domains only, so it is harmless on portal.example.com.
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", False)
# Messages live in the session, on the server. The default cookie storage would deserialise a
# signed cookie, "safe string" flag included: whoever has the key could inject markup.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Enforced on the server by portal.session_expiry (the cookie's own expiry is only a backstop):
# a session ends after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_MAX_AGE
# seconds after its login whatever the activity.
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_TIMEOUT", 2 * 60 * 60)
SESSION_MAX_AGE = envint("SESSION_MAX_AGE", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_MAX_AGE

# Behind a load balancer: trust X-Forwarded-Proto, and take the client's address from the entry
# of X-Forwarded-For that the TRUSTED_PROXY_COUNT proxies in front of the portal wrote
# (portal.security.client_ip); the rate limits and the security log use that address.
BEHIND_PROXY = envbool("BEHIND_PROXY", False)
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

# Content Security Policy, sent on every response. Scripts run only from the portal's own static
# files or, inline, with the per-response nonce (`nonce="{{ csp_nonce }}"`), so no on*= handler
# runs; styles come only from its own stylesheets, so no <style> or style="" applies. Not
# 'strict-dynamic': it would ignore 'self' and block every script without the nonce, and the
# Django admin's templates and the 500 page (rendered without a request) load theirs by src alone.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Bootstrap's CSS draws its icons (menu, close, select arrow, check marks) as data: SVGs.
    "img-src": [CSP.SELF, "data:"],
    # Browsers match 'self' to ws:// and wss:// on this host too, so the chat's websocket fits.
    "connect-src": [CSP.SELF],
    # "Forgot your password?" is a link to the e-commerce, not a form posting there.
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
# The same answer for browsers that predate frame-ancestors.
X_FRAME_OPTIONS = "DENY"

# JSON lines in production, readable lines in the demo; security events go to portal.security.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("console" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"portal": {"()": "portal.security.formatter", "fmt": LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "portal"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs each request's URL at INFO, and httpcore every header of every answer at DEBUG
    # (a redirect's Location among them): the store client logs what matters itself.
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# The most rows one "Baixar relatório consolidado" may hold: a report is written while the user
# waits, by a worker that serves no one else meanwhile (100,000 rows take about a minute).
LIST_EXPORT_MAX_ROWS = envint("LIST_EXPORT_MAX_ROWS", 100_000)
