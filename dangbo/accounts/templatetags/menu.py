from django import template

from dangbo.accounts.menu import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The signed-in user's menu groups (`accounts.menu`), for the header."""
    request = context["request"]
    return menu_for(request.user, request.path)
