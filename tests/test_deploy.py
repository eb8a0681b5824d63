"""Running outside development: no start without a secret key, `check --deploy` clean with the
production settings, and personal pages and exports never kept in a cache (Cache-Control: no-store)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dangbo.meetings.models import Meeting
from dangbo.members.models import Member

ROOT = Path(__file__).resolve().parent.parent
# The variables these tests set themselves; whatever the suite runs with is left out.
OWN = {
    "SECRET_KEY", "DANGBO_ENV", "DEBUG", "HTTPS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "DJANGO_SETTINGS_MODULE",
    "SITE_URL", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "SESSION_IDLE_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests of the same session
}  # fmt: skip
PRODUCTION = {
    "SECRET_KEY": "k7#qv2!mZp9@Lw4$Rt8^Yx1&Hn6*Bc3(Jd5)Fs0-Gu2+Ea7=Ni9_Ko4~Pl8",
    "ALLOWED_HOSTS": "dangbo.example.vn",
    "HTTPS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SITE_URL": "https://dangbo.example.vn",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in OWN} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_refuses_to_start_without_a_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "DANGBO_ENV=development" in result.stderr


def test_refuses_the_development_secret_key_in_production():
    result = manage("check", SECRET_KEY="dangbo-development-key-not-secret", SITE_URL=PRODUCTION["SITE_URL"])
    assert result.returncode != 0
    assert "SECRET_KEY đang là khóa dùng khi phát triển" in result.stderr


def test_reads_the_secret_key_from_a_file_and_the_hosts_from_the_site_address(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    code = (
        "from django.conf import settings as s; print(s.SECRET_KEY, s.ALLOWED_HOSTS, s.SESSION_IDLE_SECONDS, sep='|')"
    )
    result = manage("shell", "-v", "0", "-c", code, SECRET_KEY_FILE=str(key), SITE_URL="https://dangbo.example.vn")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{PRODUCTION['SECRET_KEY']}|['dangbo.example.vn']|1800"
    # SECRET_KEY, when given, comes first; ALLOWED_HOSTS, when given, too.
    result = manage(
        "shell", "-v", "0", "-c", code, SECRET_KEY_FILE=str(key), SECRET_KEY="another-" + PRODUCTION["SECRET_KEY"],
        SITE_URL="https://dangbo.example.vn", ALLOWED_HOSTS="a.example.vn,b.example.vn",
    )  # fmt: skip
    assert result.stdout.strip() == f"another-{PRODUCTION['SECRET_KEY']}|['a.example.vn', 'b.example.vn']|1800"
    # An empty key file is refused.
    key.write_text("\n")
    result = manage("check", SECRET_KEY_FILE=str(key), SITE_URL="https://dangbo.example.vn")
    assert result.returncode != 0 and "trống" in result.stderr


def test_refuses_an_unknown_environment():
    result = manage("check", DANGBO_ENV="prod", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    assert "DANGBO_ENV" in result.stderr


def test_development_starts_without_a_secret_key():
    result = manage("check", DANGBO_ENV="development")
    assert result.returncode == 0, result.stderr


def test_site_url_left_at_its_default_is_warned_of_in_production():
    """The reminder emails would link to 127.0.0.1: every check warns, --deploy or not."""
    unset = {key: value for key, value in PRODUCTION.items() if key != "SITE_URL"}
    for args in (("check",), ("check", "--deploy")):
        result = manage(*args, **unset)
        assert "dangbo.W001" in result.stderr and "SITE_URL" in result.stderr, result.stderr
    assert "dangbo.W001" not in manage("check", "--deploy", **PRODUCTION).stderr
    assert "dangbo.W001" not in manage("check", DANGBO_ENV="development").stderr


def test_check_deploy_is_clean_with_the_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.DEBUG, s.SECURE_PROXY_SSL_HEADER, sep='|')"
    )
    result = manage("shell", "-v", "0", "-c", code, **PRODUCTION, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True|True|True|31536000|True|False|('HTTP_X_FORWARDED_PROTO', 'https')"
    # Without HTTPS=1 (an intranet served over plain HTTP), none of them: the cookies would not come back.
    result = manage("shell", "-v", "0", "-c", code, SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False|False|False|0|False|False|None"


# --- Cache-Control ---------------------------------------------------------------------------------


def assert_not_stored(response):
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.fixture
def khoi(as_user):
    return as_user("khoi")


def test_a_member_page_is_not_stored(khoi):
    member = Member.unscoped.order_by("pk").first()
    assert_not_stored(khoi.get(f"/dang-vien/{member.pk}/"))


def test_a_member_sheet_is_not_stored(khoi):
    member = Member.unscoped.order_by("pk").first()
    assert_not_stored(khoi.get(f"/dang-vien/{member.pk}/phieu/"))


def test_the_register_export_is_not_stored(khoi):
    response = khoi.get("/dang-vien/so-danh-sach/")
    assert_not_stored(response)
    assert response["Content-Disposition"].startswith("attachment")


def test_a_word_download_is_not_stored(khoi, demo):
    meeting = Meeting.unscoped.filter(cell_id=demo["chibo"], held_on__isnull=False).order_by("-held_on").first()
    response = khoi.get(f"/sinh-hoat/{meeting.pk}/bien-ban.docx")
    assert_not_stored(response)
    assert response["Content-Disposition"].startswith("attachment")


def test_the_overview_is_not_stored(khoi):
    assert_not_stored(khoi.get("/"))


def test_static_files_may_be_cached(client, db):
    response = client.get("/static/dangbo/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
