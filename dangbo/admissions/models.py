"""The admission pipeline (phát triển đảng viên): outstanding non-members followed by a cell.

A candidate (quần chúng ưu tú) goes through the stages: identified and followed by a cell, passes
the Party-awareness course (certificate valid 5 years), completes the dossier (forms 1-KNĐ … 9-KNĐ,
Hướng dẫn 12-HD/BTCTW), and is admitted: `admit_candidate` then creates the member with their
admission event, and the candidate keeps a link to them.
"""

from __future__ import annotations

import datetime

from django.core.validators import RegexValidator
from django.db import models

from dangbo.lib import vn
from dangbo.members.models import Member, Sex
from dangbo.orgs.models import Unit

CERTIFICATE_YEARS = 5
DOSSIER_FORMS = [
    ("1-KNĐ", "Đơn xin vào Đảng"),
    ("2-KNĐ", "Lý lịch của người xin vào Đảng"),
    ("3-KNĐ", "Giấy giới thiệu người vào Đảng (đảng viên chính thức)"),
    ("4-KNĐ", "Nghị quyết giới thiệu đoàn viên ưu tú vào Đảng"),
    ("5-KNĐ", "Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú"),
    ("6-KNĐ", "Nghị quyết đề nghị kết nạp của chi bộ"),
    ("7-KNĐ", "Báo cáo thẩm định của đảng ủy bộ phận"),
    ("8-KNĐ", "Nghị quyết đề nghị kết nạp của đảng ủy cơ sở"),
    ("9-KNĐ", "Quyết định kết nạp đảng viên"),
]
# The forms needed before the admission decision (the decision itself, 9-KNĐ, is the admission).
# 4-KNĐ is for Youth Union members and 7-KNĐ for cells under a sub-committee: not always required.
REQUIRED_BEFORE_DECISION = ["1-KNĐ", "2-KNĐ", "3-KNĐ", "5-KNĐ", "6-KNĐ", "8-KNĐ"]


class Stage(models.TextChoices):
    IDENTIFIED = "identified", "Đã xác định, chi bộ theo dõi"
    COURSE = "course", "Đã học lớp nhận thức về Đảng"
    DOSSIER = "dossier", "Đã hoàn thiện hồ sơ"
    ADMITTED = "admitted", "Đã kết nạp"


class Candidate(models.Model):
    family_name = models.CharField("họ", max_length=64)
    middle_name = models.CharField("tên đệm", max_length=64, blank=True)
    given_name = models.CharField("tên", max_length=64)
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("ngày sinh")
    citizen_id = models.CharField(
        "số CCCD", max_length=12, blank=True,
        validators=[RegexValidator(r"^[0-9]{12}$", "Số căn cước công dân gồm đúng 12 chữ số.")],
    )  # fmt: skip
    ethnicity = models.CharField("dân tộc", max_length=64, default="Kinh")
    religion = models.CharField("tôn giáo", max_length=64, default="Không")
    home_town = models.CharField("quê quán", max_length=255, blank=True)
    residence = models.CharField("nơi cư trú", max_length=255, blank=True)
    education = models.CharField("giáo dục phổ thông", max_length=16, default="12/12")
    qualification = models.CharField("chuyên môn, nghiệp vụ", max_length=128, blank=True)
    occupation = models.CharField("nghề nghiệp", max_length=128, blank=True)
    workplace = models.CharField("nơi làm việc", max_length=255, blank=True)
    cell = models.ForeignKey(Unit, verbose_name="chi bộ theo dõi", on_delete=models.PROTECT, related_name="+")
    identified_on = models.DateField("ngày chi bộ phân công theo dõi")
    course_passed_on = models.DateField("ngày cấp giấy chứng nhận lớp nhận thức về Đảng", null=True, blank=True)
    dossier = models.JSONField("hồ sơ đã có", default=list, blank=True)
    note = models.TextField("ghi chú", blank=True)
    member = models.OneToOneField(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="candidacy")
    search_name = models.CharField(max_length=255, editable=False, db_index=True)
    sort_key = models.CharField(max_length=255, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped = models.Manager()

    class Meta:
        verbose_name = "quần chúng ưu tú"
        verbose_name_plural = "quần chúng ưu tú"
        indexes = [models.Index(fields=["cell", "member"])]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)

    def refresh_derived(self) -> None:
        for name in ("family_name", "middle_name", "given_name"):
            setattr(self, name, vn.normalize(getattr(self, name)))
        self.search_name = vn.fold(self.full_name)
        self.sort_key = vn.name_sort_key(self.family_name, self.middle_name, self.given_name)

    @property
    def full_name(self) -> str:
        return vn.full_name(self.family_name, self.middle_name, self.given_name)

    @property
    def certificate_expires_on(self) -> datetime.date | None:
        return vn.add_years(self.course_passed_on, CERTIFICATE_YEARS) if self.course_passed_on else None

    @property
    def missing_forms(self) -> list[str]:
        return [code for code in REQUIRED_BEFORE_DECISION if code not in self.dossier]

    @property
    def stage(self) -> str:
        if self.member_id:
            return Stage.ADMITTED
        if self.course_passed_on and not self.missing_forms:
            return Stage.DOSSIER
        if self.course_passed_on:
            return Stage.COURSE
        return Stage.IDENTIFIED

    def get_stage_display(self) -> str:
        return Stage(self.stage).label
