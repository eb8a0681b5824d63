"""The report types a committee starts with, and their sections in order (each editable in the
back office). Written by the migration that creates the tables, and again by the demo when a test
has emptied the database."""

TEXT = ""
PERIODIC = [
    ("tinh-hinh", "Tình hình tư tưởng của cán bộ, đảng viên", TEXT, False),
    ("ket-qua", "Kết quả thực hiện nhiệm vụ", TEXT, True),
    ("to-chuc", "Số liệu tổ chức đảng, đảng viên", "organisation", False),
    ("ket-nap", "Công tác phát triển đảng viên", "admissions", False),
    ("sinh-hoat", "Sinh hoạt chi bộ", "meetings", False),
    ("xep-loai", "Đánh giá, xếp loại chất lượng", "ratings", False),
    ("chi-tieu", "Thực hiện các chỉ tiêu Nghị quyết Đại hội", "targets", False),
    ("nhiem-vu", "Thực hiện nhiệm vụ được giao", "tasks", False),
    ("bao-cao", "Tình hình báo cáo của các tổ chức đảng trực thuộc", "submissions", False),
    ("han-che", "Hạn chế, nguyên nhân", TEXT, False),
    ("phuong-huong", "Phương hướng, nhiệm vụ thời gian tới", TEXT, False),
    ("kien-nghi", "Kiến nghị, đề xuất", TEXT, False),
]
MONTHLY = [s for s in PERIODIC if s[0] not in ("xep-loai", "chi-tieu")]
TYPES = [
    ("thang", "Báo cáo tháng", "month", "Kết quả thực hiện nhiệm vụ {period}", MONTHLY),
    ("quy", "Báo cáo quý", "quarter", "Kết quả thực hiện nhiệm vụ {period}", PERIODIC),
    ("sau-thang", "Báo cáo sáu tháng", "half", "Sơ kết công tác xây dựng Đảng {period}", PERIODIC),
    ("nam", "Báo cáo năm", "year", "Tổng kết công tác xây dựng Đảng {period}", PERIODIC),
    ("tu-tuong", "Báo cáo tình hình tư tưởng", "month", "Tình hình tư tưởng của cán bộ, đảng viên {period}", [
        ("tinh-hinh", "Tình hình tư tưởng của cán bộ, đảng viên", TEXT, False),
        ("du-luan", "Dư luận xã hội, những vấn đề nổi lên", TEXT, False),
        ("to-chuc", "Số liệu tổ chức đảng, đảng viên", "organisation", False),
        ("kien-nghi", "Kiến nghị, đề xuất", TEXT, False),
    ]),
    ("dot-xuat", "Báo cáo đột xuất", "ad_hoc", "{period}", [
        ("to-chuc", "Số liệu tổ chức đảng, đảng viên", "organisation", False),
    ]),
]  # fmt: skip


def create(ReportType, SectionSpec) -> None:  # noqa: N803 - the migration passes its historical models
    """Create the default types (given the model classes: the current ones, or a migration's)."""
    for order, (code, name, kind, subject, sections) in enumerate(TYPES, 1):
        report_type = ReportType.objects.create(code=code, name=name, period_kind=kind, subject=subject, order=order)
        SectionSpec.objects.bulk_create(
            SectionSpec(report_type=report_type, order=i, key=key, title=title, block=block, drafted=drafted)
            for i, (key, title, block, drafted) in enumerate(sections, 1)
        )
