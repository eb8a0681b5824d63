"""What each action code of the audit log means, in Vietnamese, for the audit page and its export.
Every code passed to `record` / `record_read` anywhere in the application has its label here
(tests/test_audit_page.py greps the code base to hold it so)."""

from dangbo.members.models import EventKind

WRITES = {
    # members
    "create_member": "Tạo hồ sơ đảng viên",
    "update_member": "Sửa hồ sơ đảng viên",
    "record_ceremony": "Ghi ngày lễ kết nạp",
    "cancel_event": "Hủy sự kiện gần nhất",
    "import_member": "Cập nhật hồ sơ khi nhập dữ liệu",
    "import_workbook": "Nhập dữ liệu từ tệp",
    # admissions
    "create_candidate": "Thêm quần chúng ưu tú",
    "update_candidate": "Sửa hồ sơ quần chúng ưu tú",
    "admit_candidate": "Kết nạp quần chúng ưu tú",
    # orgs
    "found_unit": "Thành lập tổ chức đảng",
    "change_unit": "Thay đổi tổ chức đảng",
    "dissolve_unit": "Giải thể tổ chức đảng",
    # reorg
    "reorg_merge": "Hợp nhất tổ chức đảng",
    "reorg_split": "Chia tách tổ chức đảng",
    "reorg_rename": "Đổi tên tổ chức đảng theo quyết định sắp xếp",
    "reorg_move": "Chuyển tổ chức đảng sang trực thuộc đơn vị khác",
    "reorg_dissolve": "Giải thể tổ chức đảng theo quyết định sắp xếp",
    "reorg_transfer": "Chuyển sinh hoạt đảng hàng loạt",
    "reorg_reassign_task": "Chuyển nhiệm vụ sang đơn vị nhận khi sắp xếp tổ chức",
    "reorg_copy_schedule": "Áp dụng lịch báo cáo cho đơn vị nhận khi sắp xếp tổ chức",
    "reorg_move_account": "Chuyển tài khoản sang đơn vị nhận khi sắp xếp tổ chức",
    "reorg_succession": "Ghi nhận đơn vị kế thừa khi sắp xếp tổ chức",
    "reorg_term": "Mở nhiệm kỳ cho tổ chức mới thành lập khi sắp xếp",
    # meetings
    "plan_meeting": "Lên kế hoạch sinh hoạt",
    "change_meeting": "Sửa kế hoạch sinh hoạt",
    "save_minutes": "Ghi biên bản sinh hoạt",
    "add_meeting_material": "Thêm tài liệu sinh hoạt",
    "delete_meeting": "Xóa buổi sinh hoạt",
    # ratings
    "rating_self_assess": "Đảng viên tự đánh giá",
    "rating_propose": "Chi bộ đề xuất xếp loại",
    "rating_decide": "Quyết định xếp loại đảng viên",
    "rating_reopen": "Mở lại xếp loại đảng viên",
    "unit_rating_self_assess": "Tổ chức đảng tự đánh giá",
    "unit_rating_decide": "Quyết định xếp loại tổ chức đảng",
    "unit_rating_reopen": "Mở lại xếp loại tổ chức đảng",
    "open_rating_round": "Mở đợt đánh giá, xếp loại",
    "rating_period_create": "Tạo đợt đánh giá, xếp loại",
    "discipline_record": "Ghi quyết định kỷ luật",
    "discipline_delete": "Xóa quyết định kỷ luật",
    # targets
    "target_value_enter": "Nhập số liệu chỉ tiêu",
    "registration_add": "Đăng ký mô hình “Dân vận khéo”",
    "registration_delete": "Xóa đăng ký “Dân vận khéo”",
    # tasks
    "task_assign": "Giao nhiệm vụ",
    "task_split": "Giao nhiệm vụ con",
    "task_progress": "Cập nhật tiến độ nhiệm vụ",
    "task_complete": "Báo cáo hoàn thành nhiệm vụ",
    "task_grade": "Đánh giá kết quả nhiệm vụ",
    "task_send_back": "Trả lại báo cáo hoàn thành nhiệm vụ",
    "task_extension_request": "Xin gia hạn nhiệm vụ",
    "task_extension_decide": "Quyết định gia hạn nhiệm vụ",
    "task_extension_withdraw": "Rút đề nghị gia hạn nhiệm vụ",
    "task_extension_apply": "Lùi hạn nhiệm vụ theo gia hạn được duyệt",
    "task_roll_up": "Tổng hợp tiến độ từ nhiệm vụ con",
    # reports
    "report_open": "Lập báo cáo",
    "report_save": "Lưu nội dung báo cáo",
    "report_redraft": "Soạn lại báo cáo",
    "report_send": "Gửi báo cáo lên cấp trên",
    "report_complete": "Hoàn thành báo cáo",
    "report_accept": "Tiếp nhận báo cáo",
    "report_return": "Trả lại báo cáo",
    "report_request": "Yêu cầu báo cáo đột xuất",
    # accounts
    "account_create": "Tạo tài khoản",
    "account_password_reset": "Cấp lại mật khẩu tạm thời",
    "account_enable": "Mở lại tài khoản",
    "account_disable": "Khóa tài khoản",
    "password_change": "Đổi mật khẩu",
    "login_unlock": "Mở khóa đăng nhập",
    "admin_password_change": "Đổi mật khẩu trong trang quản trị",
    # back office
    "admin_add": "Thêm trong trang quản trị",
    "admin_change": "Sửa trong trang quản trị",
    "admin_delete": "Xóa trong trang quản trị",
    "sessions_end": "Đăng xuất khỏi mọi thiết bị",
    "two_factor_enable": "Bật đăng nhập hai bước",
    "two_factor_replace": "Chuyển đăng nhập hai bước sang điện thoại mới",
    "two_factor_disable": "Tắt đăng nhập hai bước",
    "two_factor_reset": "Đặt lại đăng nhập hai bước",
    "two_factor_recovery_renew": "Tạo lại mã dự phòng",
    "two_factor_recovery_used": "Đăng nhập bằng mã dự phòng",
    "load_demo": "Nạp dữ liệu mẫu",
} | {f"event_{kind.value}": f"Sự kiện: {kind.label}" for kind in EventKind}

READS = {
    "member_view": "Xem hồ sơ đảng viên",
    "member_sheet": "Xem, in phiếu đảng viên",
    "register_download": "Tải sổ danh sách đảng viên",
    "badges_download": "Tải danh sách đề nghị tặng Huy hiệu Đảng",
    "export_workbook": "Tải tệp xuất dữ liệu",
    "quality_download": "Tải danh sách chất lượng dữ liệu",
    "report_download": "Tải báo cáo (Word, PDF, Excel)",
    "audit_export": "Tải nhật ký",
}

LABELS = WRITES | READS


def label_of(action: str) -> str:
    return LABELS.get(action, action)
