"""One settings file; everything that differs between installs comes from the environment.

SQLite by default so that a checkout runs at once; DATABASE_URL=postgres://… switches to PostgreSQL.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def database_from_url(url: str) -> dict:
    """Parse sqlite:///path or postgres://user:pass@host:port/name into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path[1:]) if parsed.path.startswith("/") else parsed.path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or BASE_DIR / "db.sqlite3",
            # Read the file through memory mapping and a larger page cache: a city's database is
            # hundreds of megabytes, and reading it page by page through system calls cost more
            # than the queries themselves. WAL lets pages be read while an event is being written.
            # Writers queue instead of failing with "database is locked": every transaction takes the
            # write lock when it begins (a read that turns into a write could not wait for it), and
            # waits up to SQLITE_TIMEOUT seconds for it (twenty simultaneous submissions take a few).
            "OPTIONS": {
                "init_command": "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536; PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": envint("SQLITE_TIMEOUT", 20),
            },
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path[1:]),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 0),
            # JIT compilation costs more than it saves on the short queries of a web page.
            "OPTIONS": {"options": "-c jit=off"},
        }
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


# Where dangbo runs: "production" unless told otherwise, so an install that forgets a setting fails
# safe. `make run`, `make test`, CI and the test settings (tests/settings.py) say "development".
DANGBO_ENV = os.environ.get("DANGBO_ENV", "production")
if DANGBO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DANGBO_ENV phải là development hoặc production, không phải {DANGBO_ENV!r}.")
DEVELOPMENT = DANGBO_ENV == "development"

# Every write function of the application writes its audit entry (audit.log.audited): one that
# returns without it is refused (development, tests) or logged as an error (production, where the
# change itself must not be lost for want of its entry).
AUDIT_ENFORCE = envbool("AUDIT_ENFORCE", DEVELOPMENT)

# Sessions, password reset links and CSRF tokens are signed with it: a public key lets anyone forge
# them. Only development may fall back to a fixed one. SECRET_KEY gives the key itself; SECRET_KEY_FILE
# names a file holding it, kept outside the repository and readable by dangbo's user only (`make serve`
# writes one the first time; systemd can hand one over as a credential).
DEVELOPMENT_SECRET_KEY = "dangbo-development-key-not-secret"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and os.environ.get("SECRET_KEY_FILE"):
    _key_file = Path(os.environ["SECRET_KEY_FILE"]).expanduser()
    try:
        SECRET_KEY = _key_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"Không đọc được tệp khóa bí mật SECRET_KEY_FILE={_key_file}: {error.strerror} "
            "(the SECRET_KEY_FILE cannot be read)."
        ) from None
    if not SECRET_KEY:
        raise ImproperlyConfigured(f"Tệp khóa bí mật SECRET_KEY_FILE={_key_file} trống (the SECRET_KEY_FILE is empty).")
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured(
            "Chưa đặt SECRET_KEY: dangbo không chạy khi thiếu khóa bí mật (SECRET_KEY is not set). "
            "Đặt SECRET_KEY là một chuỗi ngẫu nhiên dài, ví dụ: python -c "
            "'import secrets; print(secrets.token_urlsafe(50))', hoặc SECRET_KEY_FILE là đường dẫn tệp chứa nó; "
            "hoặc, khi phát triển trên máy mình, đặt DANGBO_ENV=development."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEVELOPMENT:
    raise ImproperlyConfigured(
        "SECRET_KEY đang là khóa dùng khi phát triển, ai cũng biết: dangbo không chạy thật với khóa này "
        "(SECRET_KEY is the public development key). Đặt SECRET_KEY là một chuỗi ngẫu nhiên dài của riêng "
        "máy chủ, hoặc chạy `make serve` để tạo một khóa mới."
    )
DEBUG = envbool("DEBUG", False)

# The site's address, before the paths in emails; left at the default outside development, the
# check dangbo.W001 warns (`manage.py check`) and the production server refuses to start (dangbo/wsgi.py).
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
SITE_URL = os.environ.get("SITE_URL") or DEFAULT_SITE_URL
# Unset in production, the hosts are the site address's own: one name to set instead of two.
if os.environ.get("ALLOWED_HOSTS"):
    ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")
elif not DEVELOPMENT and SITE_URL != DEFAULT_SITE_URL:
    ALLOWED_HOSTS = [urlparse(SITE_URL).hostname or ""]
else:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Two-step sign-in: the authenticator (TOTP) and recovery codes, used by accounts.two_factor.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "dangbo.audit",
    "dangbo.once",
    "dangbo.accounts",
    "dangbo.orgs",
    "dangbo.workdays",
    "dangbo.members",
    "dangbo.exchange",
    "dangbo.admissions",
    "dangbo.meetings",
    "dangbo.ratings",
    "dangbo.targets",
    "dangbo.notices",
    "dangbo.tasks",
    "dangbo.overview",
    "dangbo.reports",
    "dangbo.reorg",
    "dangbo.demo",
    "dangbo.backups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header, on static files as well as pages (lib/middleware.py).
    "dangbo.lib.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files itself: those may be cached, nothing else.
    "dangbo.lib.middleware.NoStoreMiddleware",
    # Query strings and posted fields reach the views without control characters (lib/forms.py).
    "dangbo.lib.forms.CleanInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A session unused for SESSION_IDLE_SECONDS ends, before the user is read from it (lib/middleware.py).
    "dangbo.lib.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A session that owes its two-step code, or must set up an authenticator, goes there first; an
    # account with a one-time password goes to the password change first (accounts.middleware).
    "dangbo.accounts.middleware.TwoFactorMiddleware",
    "dangbo.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dangbo.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dangbo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangbo.notices.context.unread_notifications",
            ],
            "builtins": ["dangbo.lib.templatetags"],
        },
    },
]

WSGI_APPLICATION = "dangbo.wsgi.application"

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/dang-nhap/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/dang-nhap/"

# Sessions end after a working day, or after the browser is closed, or after SESSION_IDLE_SECONDS
# without a request (half an hour in production; 0 turns it off, as development does unless told).
# Signing out deletes the session on the server; "Đăng xuất khỏi mọi thiết bị" on the password page
# ends the account's other sessions too (accounts.actions.end_other_sessions).
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 0 if DEVELOPMENT else 30 * 60)

# Served over HTTPS only (HTTPS=1): cookies sent over HTTPS only, plain HTTP redirected, and HSTS
# telling browsers for a year never to use plain HTTP. Each can be set on its own as well. Behind a
# proxy that terminates TLS, SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto names the header it sets to
# "https", so that dangbo knows the request was secure (set it only when the proxy always sets it).
HTTPS = envbool("HTTPS", False)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Asking browsers to preload HSTS for the domain is hard to undo: only when the install says so.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + os.environ["SECURE_PROXY_SSL_HEADER"].upper().replace("-", "_"), "https")

# Headers of every response (Django's defaults, stated here so that they are seen): no framing by any
# site, no type guessing, the address of a page sent along to the same site only, and a window of
# its own, not shared with a page of another site that opened it.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts, styles, images, forms and connections from dangbo's own address only: an injected
# <script> or onclick="…" does not run. No page has an inline script, event handler or style
# attribute (their behaviour is in static/dangbo/behaviours.js); the admin runs under it too.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

# Every way in (the login page, the admin's, authenticate() itself) goes through the throttle.
AUTHENTICATION_BACKENDS = ["dangbo.accounts.throttle.ThrottledModelBackend"]
# Login throttling (accounts.throttle): this many failures for one account name within the window
# lock it for a window; one client address gets more, since many people may share it.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
LOGIN_FAILURE_WINDOW_SECONDS = envint("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)

# Two-step sign-in (accounts.two_factor): after the password, a code from an authenticator app or a
# printed recovery code. Required, when TWO_FACTOR_REQUIRED is on (the default in production; off in
# development so the demo's logins work without a phone), for superusers and the roles listed in
# TWO_FACTOR_REQUIRED_ROLES: by default the committees' staff, who record decisions and manage
# accounts. A cell secretary (one per cell, sees only that cell) and a viewer (aggregated figures,
# no one's record) may turn it on themselves; an install adds cell_secretary to require it of them.
TWO_FACTOR_ROLES = {"superior_staff", "grassroots_staff", "cell_secretary", "viewer"}
TWO_FACTOR_REQUIRED = envbool("TWO_FACTOR_REQUIRED", not DEVELOPMENT)
TWO_FACTOR_REQUIRED_ROLES = [
    role.strip()
    for role in os.environ.get("TWO_FACTOR_REQUIRED_ROLES", "superior_staff,grassroots_staff").split(",")
    if role.strip()
]
if set(TWO_FACTOR_REQUIRED_ROLES) - TWO_FACTOR_ROLES:
    raise ImproperlyConfigured(
        f"TWO_FACTOR_REQUIRED_ROLES chỉ gồm các vai trò {', '.join(sorted(TWO_FACTOR_ROLES))}, "
        f"không có {', '.join(sorted(set(TWO_FACTOR_REQUIRED_ROLES) - TWO_FACTOR_ROLES))}."
    )
# Recovery codes printed at a time, each good once.
TWO_FACTOR_RECOVERY_CODES = envint("TWO_FACTOR_RECOVERY_CODES", 10)
# The name authenticator apps show beside the account name.
OTP_TOTP_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "dangbo")
# django-otp's throttling of wrong codes: after n failures in a row a device waits 2^(n-1) seconds.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Behind a reverse proxy, the header it writes the client's address in (X-Forwarded-For, X-Real-IP)
# and how many proxies stand in front. Unset, the header is ignored: a client could write anything.
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER") or None
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic gathers them for WhiteNoise (`make serve`, deploy/).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "dangbo" / "static"]
# Serve straight from the source folders when collectstatic was not run (development, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Party badges (Huy hiệu Đảng): the party ages honoured and the yearly award occasions (day/month),
# as the badge regulation sets them; an install changes the occasions with BADGE_OCCASIONS="3/2,19/5,2/9,7/11".
BADGE_YEARS = [30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
BADGE_OCCASIONS = [
    tuple(int(part) for part in item.split("/"))
    for item in os.environ.get("BADGE_OCCASIONS", "3/2,19/5,2/9,7/11").split(",")
]

# Cell meeting rules (Chỉ thị 50-CT/TW, Hướng dẫn 42-HD/BTCTW): a regular meeting every month, a
# thematic one every quarter, at least 90 minutes, 120 when both are held together. An install
# changes them with MEETING_RULES="regular_months=1,thematic_months=3,min_minutes=90,min_minutes_combined=120".
MEETING_RULES = {"regular_months": 1, "thematic_months": 3, "min_minutes": 90, "min_minutes_combined": 120} | {
    key.strip(): int(value)
    for key, value in (item.split("=") for item in os.environ.get("MEETING_RULES", "").split(",") if "=" in item)
}

# Tasks (DOMAIN §7): a task is "due soon" this many days before its deadline; "stalled" when no
# follow-up was logged for this many days; an overdue task is reminded again every so many days.
TASK_DUE_SOON_DAYS = int(os.environ.get("TASK_DUE_SOON_DAYS", "7"))
TASK_STALLED_DAYS = int(os.environ.get("TASK_STALLED_DAYS", "14"))
TASK_OVERDUE_REPEAT_DAYS = int(os.environ.get("TASK_OVERDUE_REPEAT_DAYS", "7"))
# Reports: reminded this many days before they are due.
REPORT_DUE_SOON_DAYS = int(os.environ.get("REPORT_DUE_SOON_DAYS", "3"))

# Reminders go out by email through Django's backend: printed on the console unless an install
# sets EMAIL_BACKEND (and EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dangbo <khong-tra-loi@dangbo.local>")

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# The largest file the import page accepts (the exchange workbook, or each of its CSV files).
DANGBO_IMPORT_MAX_BYTES = envint("DANGBO_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Backups (manage.py backup): where the archives go and how many of the newest are kept there.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "backups"))
BACKUP_KEEP = envint("BACKUP_KEEP", 14)
STORAGES = {
    # Uploads follow their transaction: a rolled-back write leaves no file (see lib/storage.py).
    "default": {"BACKEND": "dangbo.lib.storage.TransactionalFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
