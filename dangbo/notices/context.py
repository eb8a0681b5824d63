"""The header's count of unread notifications, on every page of a signed-in user.

It costs no query of its own: the session's user is loaded with the count in the same query
(`accounts.throttle.ThrottledModelBackend.get_user`), afresh on each request, so it is right as soon
as a notification is written or read, with nothing to invalidate. A user loaded otherwise (another
backend) has it counted once, lazily, when the header asks for it."""

from __future__ import annotations

from .models import UNREAD, Notification


class UnreadCount:
    """Called by the template (it calls what is callable): the count, read once."""

    def __init__(self, user):
        self.user, self.count = user, getattr(user, "unread_notifications", None)

    def __call__(self) -> int:
        if self.count is None:
            self.count = Notification.objects.filter(UNREAD, user=self.user).count()
        return self.count


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadCount(user)}
