"""The user's own notifications, newest first; "mark all read" (a POST) marks the unread ones read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from .models import UNREAD, Notification

PER_PAGE = 50


@login_required
def notifications(request):
    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":  # "mark all read"
        mine.filter(UNREAD).update(read_at=timezone.now())
        return redirect("notifications")
    page = Paginator(mine.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    unread = {n.pk for n in page if n.read_at is None}
    return render(request, "notices/notifications.html", {"page": page, "unread": unread})
