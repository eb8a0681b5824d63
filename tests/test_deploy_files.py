"""The files of deploy/ name what exists: the systemd unit, the Dockerfile and the compose file start
gunicorn with the repository's config, read the settings dangbo has, and the compose file is valid
YAML (where PyYAML is installed)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_the_systemd_unit():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "dangbo.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("gunicorn --config deploy/gunicorn.conf.py")
    assert service["EnvironmentFile"] == "/etc/dangbo/dangbo.env"
    assert service["Environment"] == "SECRET_KEY_FILE=%d/secret_key"
    assert service["LoadCredential"].startswith("secret_key:")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_environment_example_names_real_settings():
    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (DEPLOY / "dangbo.env.example").read_text().splitlines()
        if re.match(r"#? ?[A-Z_]+=", line)
    }
    needed = {"DANGBO_ENV", "SITE_URL", "DATABASE_URL", "HTTPS", "SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXY_HEADER"}
    assert needed <= names
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    for name in names:
        assert hasattr(settings, name) or name in gunicorn or name in {"DATABASE_URL", "HTTPS"}, name


def test_the_proxies_set_the_headers_dangbo_reads():
    for proxy in ("Caddyfile", "nginx.conf"):
        text = (DEPLOY / proxy).read_text()
        assert "X-Forwarded-Proto" in text and "127.0.0.1:8000" in text, proxy
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in (DEPLOY / "nginx.conf").read_text()


def test_the_dockerfile():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "COPY requirements.txt ." in text and "pip install -r requirements.txt" in text
    assert "exec gunicorn --config deploy/gunicorn.conf.py" in text
    assert "USER dangbo" in text and "DANGBO_ENV=production" in text


def test_the_compose_file_is_valid_yaml():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    web = compose["services"]["web"]
    assert (ROOT / web["build"]["dockerfile"]).exists()
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert set(compose["volumes"]) == {"db", "media"}
