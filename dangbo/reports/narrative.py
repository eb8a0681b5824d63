"""The draft a committee's report starts from: sentences in the manner of such reports, written
from the figures of its statistics (`statistics.compute`), for the staff to edit."""

from __future__ import annotations

from dangbo.lib import vn
from dangbo.orgs.models import CELL_KINDS, UnitKind

from .models import Block


def _n(value) -> str:
    return vn.format_number(value or 0)


def _organisation(name: str, kind: str, f: dict) -> str:
    members = (f"{_n(f['members'])} đảng viên (chính thức {_n(f['official'])}, dự bị {_n(f['probationary'])}; "
               f"nữ {_n(f['female'])})")  # fmt: skip
    if kind in CELL_KINDS:
        return f"{name} có {members}."
    if kind == UnitKind.SUPERIOR and f.get("superiors"):
        return (f"{name} có {_n(f['superiors'])} đảng bộ cấp trên cơ sở, {_n(f['grassroots'])} tổ chức cơ sở đảng; "
                f"{_n(f['attached_cells'])} chi bộ và {_n(f['sub_committees'])} đảng bộ bộ phận trực thuộc đảng bộ "
                f"cơ sở, với {members}.")  # fmt: skip
    if kind == UnitKind.SUPERIOR:
        return (f"{name} có {_n(f['grassroots'])} tổ chức cơ sở đảng trực thuộc; {_n(f['attached_cells'])} chi bộ "
                f"và {_n(f['sub_committees'])} đảng bộ bộ phận trực thuộc đảng bộ cơ sở, với {members}.")  # fmt: skip
    return (f"{name} có {_n(f['sub_committees'])} đảng bộ bộ phận, {_n(f['attached_cells'])} chi bộ trực thuộc, "
            f"với {members}.")  # fmt: skip


def _admissions(phrase: str, f: dict) -> str:
    text = f"Trong {phrase}, kết nạp {_n(f['in_period'])} đảng viên"
    if f.get("in_year", f["in_period"]) != f["in_period"]:
        text += f"; từ đầu năm đến nay kết nạp {_n(f['in_year'])} đảng viên"
    text += "."
    if "since_term" in f:
        text += f" Từ đầu nhiệm kỳ {f['term']} đến nay, kết nạp {_n(f['since_term'])} quần chúng ưu tú vào Đảng"
        if "percent" in f:
            text += f", đạt {f['percent']} so với chỉ tiêu Nghị quyết đề ra ({f['target']} đảng viên)"
        text += "."
    return text


def _meetings(f: dict) -> str:
    if not f.get("cells"):
        return ""
    return (f"{f['percent']} số chi bộ ({_n(f['complying'])}/{_n(f['cells'])}) duy trì nền nếp sinh hoạt chi bộ "
            "theo quy định.")  # fmt: skip


def _ratings(f: dict) -> str:
    if not f:
        return ""
    text = f"Năm {f['year']}, "
    if f.get("tccs_rated"):
        failed = f.get("tccs_failed") or 0
        text += (f"có {f['tccs_good_percent']} ({_n(f['tccs_good'])}/{_n(f['tccs_rated'])}) tổ chức cơ sở đảng được "
                 "đánh giá hoàn thành tốt nhiệm vụ trở lên, "
                 + ("không có tổ chức cơ sở đảng không hoàn thành nhiệm vụ; " if not failed
                    else f"{_n(failed)} tổ chức cơ sở đảng không hoàn thành nhiệm vụ; "))  # fmt: skip
    text += (f"{f['members_good_percent']} số đảng viên được xếp loại hoàn thành tốt nhiệm vụ trở lên, trong đó "
             f"{f['members_excellent_percent']} hoàn thành xuất sắc nhiệm vụ.")  # fmt: skip
    return text


def _targets(f: dict) -> str:
    if not f.get("targets"):
        return ""
    return f"Có {_n(f['met'])}/{_n(f['targets'])} chỉ tiêu Nghị quyết Đại hội đạt, vượt so với kế hoạch."


def _tasks(f: dict) -> str:
    if not f.get("counted"):
        return ""
    return (f"Trong kỳ có {_n(f['counted'])} nhiệm vụ đến hạn: hoàn thành đúng hạn {_n(f['on_time'])}, chậm hoặc "
            f"quá hạn {_n(f['late'])}; {_n(f['beyond'])} nhiệm vụ được đánh giá vượt yêu cầu.")  # fmt: skip


def _submissions(f: dict) -> str:
    if not f.get("expected"):
        return ""
    text = f"Có {_n(f['on_time'])}/{_n(f['expected'])} đơn vị gửi báo cáo đúng hạn"
    if f["late"]:
        text += f", {_n(f['late'])} đơn vị gửi muộn"
    missing = f["missing"] + f["waiting"]
    if missing:
        text += f", {_n(missing)} đơn vị chưa gửi"
    return text + "."


def draft(name: str, kind: str, phrase: str, facts: dict) -> str:
    """The paragraphs drafted from the facts of the blocks computed, in the order reports give them."""
    writers = [
        (Block.ORGANISATION, lambda f: _organisation(name, kind, f)),
        (Block.ADMISSIONS, lambda f: _admissions(phrase, f)),
        (Block.MEETINGS, _meetings),
        (Block.RATINGS, _ratings),
        (Block.TARGETS, _targets),
        (Block.TASKS, _tasks),
        (Block.SUBMISSIONS, _submissions),
    ]
    paragraphs = [write(facts[block]) for block, write in writers if block in facts]
    return "\n".join(p for p in paragraphs if p)
