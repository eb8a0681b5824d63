"""The application the web server runs (gunicorn in production: deploy/gunicorn.conf.py; runserver in
development). Outside development it refuses to start, with one line saying why, when the settings
are not those of a real install: no secret key or the public development one (dangbo/settings.py), or
no site address, which every reminder email's links begin with."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangbo.settings")

REFUSAL = "dangbo không khởi động: "


def site_url_refusal() -> str:
    """Why production may not start with the site address it has, or "" when it may."""
    from django.conf import settings

    if settings.DEVELOPMENT or settings.SITE_URL != settings.DEFAULT_SITE_URL:
        return ""
    return (
        "chưa đặt SITE_URL, địa chỉ người dùng mở dangbo (SITE_URL is not set). Đặt biến môi trường "
        "SITE_URL, ví dụ SITE_URL=https://dangbo.example.vn; thử trên chính máy này: "
        "make serve SITE_URL=http://localhost:8000"
    )


try:
    # Reading the settings raises ImproperlyConfigured on a missing or development secret key.
    if refusal := site_url_refusal():
        sys.exit(REFUSAL + refusal)
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    sys.exit(REFUSAL + str(error))
