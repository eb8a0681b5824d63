"""The production server for real: gunicorn with deploy/gunicorn.conf.py on a free loopback port,
against a SQLite database of its own, migrated first; and its refusals to start with the development
secret key or without the site's address, in Vietnamese."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
# Variables of the environment the suite runs with that would change what the server does.
LEFT_OUT = {
    "SECRET_KEY", "SECRET_KEY_FILE", "DANGBO_ENV", "DEBUG", "HTTPS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
    "DJANGO_SETTINGS_MODULE", "SITE_URL", "ALLOWED_HOSTS", "DATABASE_URL", "STATIC_ROOT", "MEDIA_ROOT",
    "DANGBO_BIND", "DANGBO_WORKERS", "DANGBO_THREADS", "DJANGO_ALLOW_ASYNC_UNSAFE",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The environment of a production install in a temporary folder: its key file (mode 600), its
    SQLite database migrated and its static files collected."""
    folder = tmp_path_factory.mktemp("serve")
    key = folder / "secret_key"
    key.write_text("v3Xq9-Lp2rTt8nWz4bKc7yHs1mDf6gJa0eQu5iOo3xVl9_RkN2wYh\n")
    key.chmod(0o600)
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in LEFT_OUT} | {
        "DANGBO_ENV": "production",
        "SECRET_KEY_FILE": str(key),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "DANGBO_BIND": f"127.0.0.1:{port}",
        "DANGBO_WORKERS": "1",
        "DANGBO_THREADS": "2",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    return env, port


def start(env: dict, **change: str | None) -> subprocess.Popen:
    env = {name: value for name, value in (env | change).items() if value is not None}
    return subprocess.Popen(
        [str(GUNICORN), "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(production):
    env, port = production
    process = start(env)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start: " + process.communicate()[1])
            time.sleep(0.1)
    yield port
    process.terminate()
    process.communicate(timeout=40)


def get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_login_page_with_its_security_headers(server):
    response = get(server, "/dang-nhap/")
    assert response.status == 200
    assert "Đăng nhập" in response.body.decode()
    assert response.getheader("Server", "").startswith("gunicorn")
    policy = response.getheader("Content-Security-Policy")
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"
    assert "no-store" in response.getheader("Cache-Control")
    # DEBUG is off: an unknown address answers the plain 404 page, not Django's debugging one.
    missing = get(server, "/khong-co-trang-nay/")
    assert missing.status == 404 and b"URLconf" not in missing.body


def test_static_file_served_by_the_application(server):
    response = get(server, "/static/dangbo/behaviours.js")
    assert response.status == 200
    assert "javascript" in response.getheader("Content-Type")
    assert b"data-confirm" in response.body
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    # Static files hold nothing personal: cacheable, unlike the pages.
    assert "no-store" not in response.getheader("Cache-Control", "")


def refusal(env: dict, **change: str | None) -> str:
    process = start(env, **change)
    try:
        _, errors = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("gunicorn started where it should have refused")
    assert process.returncode != 0
    return errors


def test_refuses_the_development_secret_key(production):
    env, _ = production
    errors = refusal(env, SECRET_KEY_FILE=None, SECRET_KEY="dangbo-development-key-not-secret")
    assert "dangbo không khởi động: SECRET_KEY đang là khóa dùng khi phát triển" in errors


def test_refuses_to_start_without_the_site_address(production):
    env, _ = production
    for site_url in (None, "http://127.0.0.1:8000"):
        errors = refusal(env, SITE_URL=site_url)
        assert "dangbo không khởi động: chưa đặt SITE_URL" in errors
        assert "make serve SITE_URL=http://localhost:8000" in errors


def test_refuses_an_unreadable_key_file(production, tmp_path):
    env, _ = production
    errors = refusal(env, SECRET_KEY_FILE=str(tmp_path / "khong-co"))
    assert "Không đọc được tệp khóa bí mật SECRET_KEY_FILE" in errors
