"""The headers every answer carries, and the templates that let the Content-Security-Policy be strict:
no inline script, event handler, javascript: address or inline style anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "dangbo" / "templates"
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)", re.I),
    "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: address": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
}


def test_no_template_has_inline_script_or_style():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {kind}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for kind, pattern in INLINE.items()
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_looks_for():
    samples = {
        "inline script": "<script>alert(1)</script>",
        "event handler": '<button type="button" onclick="window.print()">',
        "javascript: address": '<a href="javascript:window.print()">',
        "style attribute": '<p style="color: red">',
        "style element": "<style>p {}</style>",
    }
    for kind, sample in samples.items():
        assert INLINE[kind].search(sample), kind
    for allowed in ('<script src="/static/dangbo/nav.js" defer></script>', '<form action="/x/" data-confirm="Xóa?">'):
        assert not any(pattern.search(allowed) for pattern in INLINE.values()), allowed


def assert_secure_headers(response):
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_login_page_carries_the_headers(client, db):
    response = client.get("/dang-nhap/")
    assert response.status_code == 200
    assert_secure_headers(response)


@pytest.mark.parametrize("path", ["/", "/dang-vien/", "/tai-khoan/", "/admin/"])
def test_signed_in_pages_carry_the_headers(as_user, path):
    response = as_user("khoi").get(path)
    assert response.status_code in (200, 302)
    assert_secure_headers(response)


def test_an_empty_policy_sends_no_header(client, db, settings):
    settings.CONTENT_SECURITY_POLICY = ""
    assert "Content-Security-Policy" not in client.get("/dang-nhap/")
