"""The site's menu: the pages a signed-in user may open, grouped by the work they serve, in the
order of the header. What a role sees follows the pages' own access rules: a viewer reads
aggregated figures only (no list of people, meetings or tasks), a cell secretary neither imports
nor manages accounts. A group holding the page being shown is marked current."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from .models import Role

STAFF = {Role.SUPERIOR_STAFF, Role.GRASSROOTS_STAFF}


@dataclass
class Entry:
    label: str
    url: str


@dataclass
class Group:
    label: str
    entries: list[Entry] = field(default_factory=list)
    current: bool = False
    also: tuple[str, ...] = ()  # other addresses of the group's pages (a unit's overview)


def _group(label: str, *entries: tuple[str, str] | None, also: tuple[str, ...] = ()) -> Group:
    return Group(label, [Entry(text, reverse(name)) for text, name in filter(None, entries)], also=also)


def menu_for(user, path: str) -> list[Group]:
    """The groups of `user`'s menu, the one holding `path` (the page shown) marked current."""
    viewer = user.role == Role.VIEWER
    staff = user.is_superuser or user.role in STAFF
    people = not viewer
    groups = [
        _group("Tổng quan", ("Tổng quan", "overview"), also=("/to-chuc/",)),
        _group(
            "Đảng viên",
            people and ("Danh sách đảng viên", "member_list"),
            people and ("Phát triển đảng viên", "pipeline"),
            people and ("Huy hiệu Đảng", "badges"),
        ),
        _group(
            "Sinh hoạt",
            people and ("Sinh hoạt chi bộ", "meeting_list"),
            ("Nền nếp sinh hoạt", "meeting_compliance"),
        ),
        _group(
            "Đánh giá",
            ("Xếp loại chất lượng", "ratings"),
            people and ("Các đợt đánh giá, xếp loại", "rating_rounds"),
            people and ("Quyết định kỷ luật", "disciplines"),
        ),
        _group("Chỉ tiêu", ("Chỉ tiêu Nghị quyết", "targets"), ("Đăng ký “Dân vận khéo”", "registrations")),
        _group(
            "Nhiệm vụ",
            people and ("Danh sách nhiệm vụ", "tasks"),
            people and ("Bảng theo dõi", "task_board"),
            people and ("Lịch", "task_calendar"),
            ("Thống kê nhiệm vụ", "task_statistics"),
        ),
        _group("Báo cáo", ("Báo cáo định kỳ", "reports"), ("Theo dõi báo cáo", "report_board")),
        _group(
            "Quản trị" if staff else "Dữ liệu",
            staff and ("Sắp xếp tổ chức", "reorg"),
            staff and ("Nhập dữ liệu", "import"),
            people and ("Xuất dữ liệu", "export"),
            ("Chất lượng dữ liệu", "quality"),
            staff and ("Tài khoản", "accounts"),
            staff and ("Nhật ký thao tác", "audit"),
        ),
    ]
    if user.is_superuser:
        groups[-1].entries.append(Entry("Trang quản trị hệ thống", "/admin/"))
    groups = [g for g in groups if g.entries]
    current = _current(groups, path)
    if current is not None:
        current.current = True
    return groups


def _current(groups: list[Group], path: str) -> Group | None:
    """The group whose entry's address is the longest beginning of `path` ("/" only for itself)."""
    best, length = None, 0
    for group in groups:
        for url in [entry.url for entry in group.entries] + list(group.also):
            matches = path == url if url == "/" else path.startswith(url)
            if matches and len(url) > length:
                best, length = group, len(url)
    return best
