"""A warning at start-up when the emails would carry the development address: outside development,
SITE_URL left at its default makes every link in a reminder email point at 127.0.0.1."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.compatibility)
def site_url_is_set(app_configs, **kwargs):
    if getattr(settings, "DEVELOPMENT", True) or settings.SITE_URL != settings.DEFAULT_SITE_URL:
        return []
    return [
        Warning(
            f"SITE_URL chưa được đặt: các liên kết trong email nhắc việc sẽ trỏ tới {settings.SITE_URL}, "
            "địa chỉ của máy phát triển (SITE_URL is left at its development default).",
            hint="Đặt biến môi trường SITE_URL là địa chỉ của trang, ví dụ SITE_URL=https://dangbo.example.vn.",
            id="dangbo.W001",
        )
    ]
