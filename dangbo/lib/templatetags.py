"""Template filters for Vietnamese formatting, loaded in every template (settings: builtins)."""

from django import template

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
