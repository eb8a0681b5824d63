"""The minutes (biên bản) of a held meeting, in the usual layout: as a printable page and as a Word
document. Both read `minutes_of`, so the two say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from dangbo.lib import vn
from dangbo.lib.partydoc import a4_document, cell_lines, paragraph, to_bytes
from dangbo.orgs.models import UnitVersion
from dangbo.reports.letterheads import locality_of

from .models import Attendance, Meeting, MeetingKind, Presence

ATTENDANCE_WIDTHS = [Cm(1.2), Cm(6.3), Cm(4.5), Cm(4.0)]  # STT, name, standing, presence


@dataclass
class Minutes:
    meeting: Meeting
    cell_name: str
    parent_name: str
    title: str
    heading: str
    rows: list[Attendance]
    locality: str = ""  # the place name of the place-date line; the meeting room is the "Địa điểm"

    @property
    def dated(self) -> str:
        """ "Hải Phòng, ngày 05 tháng 11 năm 2026" (Hướng dẫn 36: the locality, not the room)."""
        return f"{self.locality or '……'}, {vn.format_date_long(self.meeting.held_on)}"

    def closing(self) -> list[str]:
        """The adoption of the minutes and the end of the meeting, as the minutes close."""
        m = self.meeting
        present = vn.format_number(m.present_count)
        if m.approved_count is not None and m.present_count:
            share = vn.format_percent(m.approved_count * 100 / m.present_count)
            vote = f"{vn.format_number(m.approved_count)}/{present} đồng chí có mặt tán thành ({share})"
        else:  # not recorded: left blank to be written by hand
            vote = f"……/{present} đồng chí có mặt tán thành (……%)"
        if m.started_at and m.duration_minutes:
            end = m.started_at.hour * 60 + m.started_at.minute + m.duration_minutes
            ended = f"{end // 60 % 24} giờ {end % 60:02d}"
        else:
            ended = "…… giờ ……"
        return [f"Biên bản đã được thông qua trước chi bộ, {vote}.",
                f"Cuộc họp kết thúc vào lúc {ended} cùng ngày."]  # fmt: skip

    @property
    def absent_excused(self) -> list[Attendance]:
        return [r for r in self.rows if r.presence == Presence.EXCUSED]

    @property
    def absent_unexcused(self) -> list[Attendance]:
        return [r for r in self.rows if r.presence == Presence.UNEXCUSED]

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) of the body, in order."""
        m = self.meeting
        started = f"{m.started_at:%H} giờ {m.started_at:%M}, " if m.started_at else ""
        total = m.official_count + m.probationary_count
        excused = "; ".join(f"{r.member.full_name} ({r.reason})" for r in self.absent_excused) or "không"
        unexcused = ", ".join(r.member.full_name for r in self.absent_unexcused) or "không"
        chair = m.chair.full_name if m.chair else "…"
        secretary = m.secretary.full_name if m.secretary else "…"
        return [
            ("Thời gian", f"{started}{vn.format_date_long(m.held_on)}; thời lượng {m.duration_minutes} phút."),
            ("Địa điểm", m.place or "…"),
            ("Chủ trì", f"đồng chí {chair}"),
            ("Thư ký", f"đồng chí {secretary}"),
            ("Tổng số đảng viên của chi bộ",
             f"{vn.format_number(total)} (chính thức {vn.format_number(m.official_count)}, dự bị "
             f"{vn.format_number(m.probationary_count)}); miễn sinh hoạt {vn.format_number(m.exempted_count)}; "
             f"đang sinh hoạt tạm thời nơi khác {vn.format_number(m.away_count)}; đảng viên sinh hoạt tạm thời "
             f"tại chi bộ {vn.format_number(m.hosted_count)}."),
            ("Có mặt", f"{vn.format_number(m.present_count)} đồng chí."),
            ("Vắng", f"{vn.format_number(m.absent_count)} đồng chí: có lý do {vn.format_number(m.excused_count)}, "
                     f"không lý do {vn.format_number(m.unexcused_count)}."),
            ("Vắng có lý do", excused),
            ("Vắng không lý do", unexcused),
        ]  # fmt: skip

    def sections(self) -> list[tuple[str, str]]:
        m = self.meeting
        return [
            ("Nội dung", m.agenda),
            ("Ý kiến phát biểu", m.opinions),
            ("Kết luận của chủ trì", m.conclusions),
            ("Nghị quyết", m.resolution),
        ]


def minutes_of(meeting: Meeting) -> Minutes:
    """Four queries and one per level climbed to a letterhead's place: the cell and its parent as
    named on the day, the attendance, the locality (`letterheads.locality_of`)."""
    version = UnitVersion.objects.on(meeting.held_on).filter(unit_id=meeting.cell_id).first()
    parent = UnitVersion.objects.on(meeting.held_on).filter(unit_id=version.parent_id).first() if version else None
    rows = list(Attendance.unscoped.filter(meeting=meeting).select_related("member"))
    rows.sort(key=lambda r: (r.member.sort_key, r.member.pk))
    day = meeting.held_on
    if meeting.kind == MeetingKind.REGULAR:
        heading = f"Sinh hoạt chi bộ thường kỳ tháng {day.month} năm {day.year}"
    elif meeting.kind == MeetingKind.THEMATIC:
        heading = f"Sinh hoạt chuyên đề: {meeting.topic}"
    else:
        heading = f"Sinh hoạt chi bộ thường kỳ tháng {day.month} năm {day.year}, kết hợp chuyên đề: {meeting.topic}"
    return Minutes(
        meeting,
        version.name if version else "",
        parent.name if parent else "",
        "BIÊN BẢN",
        heading,
        rows,
        locality_of(meeting.cell_id, day),
    )


def minutes_docx(minutes: Minutes) -> bytes:
    """The minutes as a .docx: the header of party documents (issuing body left, the Party's name
    right), the title, the body, the attendance list and the signatures."""
    document = a4_document()

    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.text = ""
    cell_lines(left, [(minutes.parent_name.upper(), False), (minutes.cell_name.upper(), True), ("*", False)])
    cell_lines(right, [("ĐẢNG CỘNG SẢN VIỆT NAM", True)])
    right.add_paragraph()
    dated = right.add_paragraph()
    run = dated.add_run(minutes.dated)
    run.italic = True
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER

    paragraph(document, minutes.title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    paragraph(document, minutes.heading, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for label, text in minutes.lines():
        line = document.add_paragraph()
        line.add_run(f"{label}: ").bold = True
        line.add_run(text)
        line.paragraph_format.space_after = Pt(2)
    for label, text in minutes.sections():
        paragraph(document, label.upper(), bold=True, space_after=2)
        for line in (text or "…").splitlines() or ["…"]:
            paragraph(document, line, space_after=2)

    paragraph(document, "DANH SÁCH ĐIỂM DANH", bold=True, space_after=2)
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, ["STT", "Họ và tên", "Tư cách", "Tham dự"]):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for number, row in enumerate(minutes.rows, 1):
        standing = (
            row.get_standing_display()
            + (", miễn sinh hoạt" if row.exempted else "")
            + (", sinh hoạt tạm thời nơi khác" if row.away else "")
        )
        presence = row.get_presence_display() + (f" ({row.reason})" if row.reason else "")
        for cell, text in zip(table.add_row().cells, [str(number), row.member.full_name, standing, presence]):
            cell.text = text
    # Equal columns wrapped the names: the widths, 16 cm in all (the A4 text width), on the grid (read
    # by LibreOffice) and on every cell (read by Word).
    for column, width in zip(table.columns, ATTENDANCE_WIDTHS):
        column.width = width
        for cell in column.cells:
            cell.width = width

    m = minutes.meeting
    for line in minutes.closing():
        paragraph(document, line, space_after=2)
    signatures = document.add_table(rows=2, cols=2)
    for cell, text in zip(signatures.rows[0].cells, ["THƯ KÝ", "CHỦ TRÌ"]):
        cell_lines(cell, [(text, True)])
    for cell, person in zip(signatures.rows[1].cells, [m.secretary, m.chair]):
        cell_lines(cell, [("", False), ("", False), (person.full_name if person else "", True)])
    return to_bytes(document)
