"""Middleware of our own."""

from __future__ import annotations


class NoStoreMiddleware:
    """Every page and download carries Cache-Control: no-store, so that no browser or proxy keeps a
    copy of a member's record, a register or a report on disk. Static files are answered earlier, by
    WhiteNoise, and stay cacheable: they hold nothing personal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Django's never_cache already says no-store (with more); anything else is replaced.
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
