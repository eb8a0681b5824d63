"""The addresses in a notification's text. A reminder names each page on a line of its own, as a
path inside the site ("  /nhiem-vu/31/"): the in-app notification shows it as a link to that page,
relative, so it opens on whichever address the site is reached by; the email, read outside the site,
gets the same path after the configured `SITE_URL`."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A line that is only an address: a path, or (in notifications written before paths were stored)
# a full URL, whose path alone is kept.
ADDRESS_LINE = re.compile(r"^(?P<indent>\s*)(?:https?://[^/\s]+)?(?P<path>/[^\s]*)$")


def absolute(text: str) -> str:
    """The text of an email: each address line's path after SITE_URL."""
    site = settings.SITE_URL.rstrip("/")
    lines = []
    for line in text.split("\n"):
        found = ADDRESS_LINE.match(line)
        lines.append(f"{found['indent']}{site}{found['path']}" if found and "://" not in line else line)
    return "\n".join(lines)


def as_html(text: str) -> SafeString:
    """The text of an in-app notification, escaped, line breaks kept, each address line a link to
    its path."""
    lines = []
    for line in text.split("\n"):
        found = ADDRESS_LINE.match(line)
        if found:
            path = escape(found["path"])
            lines.append(f'{escape(found["indent"])}<a href="{path}">{path}</a>')
        else:
            lines.append(escape(line))
    return mark_safe("<br>".join(lines))  # noqa: S308 - every piece is escaped above
