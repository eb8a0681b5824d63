from django import template

from dangbo.notices import links

register = template.Library()


@register.filter
def notice_text(text: str):
    """A notification's text with its address lines as links (`notices.links.as_html`)."""
    return links.as_html(text or "")
