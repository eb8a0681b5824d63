"""One-time passwords just issued, kept for their one showing.

The clear passwords never reach the database's tables or the audit log; after creation they wait in
the creator's session (so no one else can see them), under a random key the result page is named
by, for exactly one showing of that page and one download of its workbook. Opening the page again
(a reload, coming back to it) removes them: the page then says they can no longer be shown, and
the way forward is a new one-time password ("cấp lại mật khẩu"). Sessions end after a working day
at most (settings.SESSION_COOKIE_AGE), and with them any password never looked at."""

from __future__ import annotations

import secrets

from .actions import Issued

SESSION_KEY = "issued_passwords"
KEEP = 5  # issuances kept in one session at most (the oldest is dropped)


def keep(request, issued: list[Issued], title: str) -> str:
    """Put the passwords in the session; the key names the page that shows them."""
    key = secrets.token_urlsafe(16)
    store = dict(request.session.get(SESSION_KEY, {}))
    while len(store) >= KEEP:
        store.pop(next(iter(store)))
    store[key] = {"title": title, "rows": [i.as_dict() for i in issued], "shown": False, "downloaded": False}
    request.session[SESSION_KEY] = store
    return key


def _store(request) -> dict:
    return dict(request.session.get(SESSION_KEY, {}))


def show(request, key: str) -> tuple[str, list[Issued]] | None:
    """(title, accounts with their passwords) the first time the page is opened; None afterwards
    (and the passwords are dropped then: the page was left and opened again)."""
    store = _store(request)
    entry = store.get(key)
    if entry is None:
        return None
    if entry["shown"]:
        store.pop(key)
        request.session[SESSION_KEY] = store
        return None
    entry = {**entry, "shown": True}
    if entry["downloaded"]:
        store.pop(key)
    else:
        store[key] = entry
    request.session[SESSION_KEY] = store
    return entry["title"], [Issued(**row) for row in entry["rows"]]


def download(request, key: str) -> tuple[str, list[Issued]] | None:
    """The passwords for the workbook, once, from the page that showed them; None afterwards."""
    store = _store(request)
    entry = store.get(key)
    if entry is None or entry["downloaded"]:
        return None
    if entry["shown"]:
        store.pop(key)
    else:
        store[key] = {**entry, "downloaded": True}
    request.session[SESSION_KEY] = store
    return entry["title"], [Issued(**row) for row in entry["rows"]]
