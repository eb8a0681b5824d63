"""Template filters for Vietnamese formatting, loaded in every template (settings: builtins)."""

from django import template
from django.utils.html import format_html

from dangbo.lib import vn

register = template.Library()


@register.filter
def vn_number(value, decimals=0):
    return vn.format_number(value, int(decimals))


@register.filter
def vn_percent(value, decimals=2):
    return vn.format_percent(value, int(decimals))


@register.filter
def vn_date(value):
    return vn.format_date(value)


@register.filter
def vn_date_long(value):
    return vn.format_date_long(value) if value else ""


@register.simple_tag
def form_token():
    """A creating form's one-time token (dangbo.once): the form writes once however often it is sent."""
    from dangbo.once.tokens import FIELD, new_key

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())


@register.filter
def label_of(labels, unit_id):
    """{{ labels|label_of:row.unit_id }}: a unit's label from a page's {unit id: label}
    (dangbo.orgs.labels), so that the page reads them all in two queries."""
    return labels.get(unit_id, "") if labels else ""


SHORT_LABEL = 42


@register.filter
def short_label(text, length=SHORT_LABEL):
    """A long unit label cut to `length` characters in a column where it repeats, whole on hover."""
    text = text or ""
    length = int(length)
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1].rstrip())
