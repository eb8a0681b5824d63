from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from dangbo.accounts import manage_views as account_views
from dangbo.accounts import two_factor_views
from dangbo.accounts.views import AdminLoginForm, LoginView
from dangbo.admissions import views as admission_views
from dangbo.audit import views as audit_views
from dangbo.exchange import export_views
from dangbo.exchange import views as exchange_views
from dangbo.meetings import views as meeting_views
from dangbo.members import event_views, quality_views, record_views, report_views
from dangbo.members import views as member_views
from dangbo.notices import views as notice_views
from dangbo.overview import views as overview_views
from dangbo.ratings import views as rating_views
from dangbo.reorg import views as reorg_views
from dangbo.reports import views as periodic_views
from dangbo.targets import views as target_views
from dangbo.tasks import views as task_views

admin.site.site_header = "dangbo — Quản trị"
admin.site.site_title = "dangbo"
admin.site.index_title = "Quản trị dữ liệu"
# The admin's login goes through the same throttle; its form says why an attempt was refused.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", overview_views.overview, name="overview"),
    path("to-chuc/<int:unit_id>/", overview_views.overview, name="unit"),
    path("dang-vien/", member_views.member_list, name="member_list"),
    path("dang-vien/<int:member_id>/", member_views.member_detail, name="member_detail"),
    path("dang-vien/<int:member_id>/sua/", record_views.member_edit, name="member_edit"),
    path("dang-vien/tiep-nhan/", record_views.member_arrival, name="member_arrival"),
    path("dang-vien/<int:member_id>/phieu/", report_views.member_sheet, name="member_sheet"),
    path("dang-vien/so-danh-sach/", report_views.register, name="register"),
    path("huy-hieu/", report_views.badges, name="badges"),
    path("chat-luong-du-lieu/", quality_views.quality_page, name="quality"),
    path("chat-luong-du-lieu/danh-sach/", quality_views.quality_list, name="quality_list"),
    path("chat-luong-du-lieu/tai-ve/", quality_views.quality_download, name="quality_download"),
    path("xuat-du-lieu/", export_views.export_page, name="export"),
    path("xuat-du-lieu/tai-ve/", export_views.export_download, name="export_download"),
    path("nhap-du-lieu/mau.xlsx", export_views.import_template, name="import_template"),
    path("dang-vien/<int:member_id>/su-kien/<str:kind>/", event_views.event_new, name="event_new"),
    path("dang-vien/<int:member_id>/le-ket-nap/", event_views.ceremony, name="event_ceremony"),
    path("dang-vien/<int:member_id>/huy-su-kien/", event_views.cancel_latest, name="event_cancel"),
    path("su-kien/<int:event_id>/ban-chup/", event_views.event_scan, name="event_scan"),
    path("ket-nap/", admission_views.pipeline, name="pipeline"),
    path("ket-nap/moi/", admission_views.candidate_edit, name="candidate_new"),
    path("ket-nap/<int:candidate_id>/", admission_views.candidate_edit, name="candidate"),
    path("ket-nap/<int:candidate_id>/ket-nap/", admission_views.candidate_admit, name="candidate_admit"),
    path("sinh-hoat/", meeting_views.meeting_list, name="meeting_list"),
    path("sinh-hoat/moi/", meeting_views.meeting_plan, name="meeting_new"),
    path("sinh-hoat/tuan-thu/", meeting_views.compliance_table, name="meeting_compliance"),
    path("sinh-hoat/chi-bo/<int:unit_id>/", meeting_views.cell_attendance, name="cell_attendance"),
    path("sinh-hoat/<int:meeting_id>/", meeting_views.meeting_detail, name="meeting"),
    path("sinh-hoat/<int:meeting_id>/ke-hoach/", meeting_views.meeting_plan, name="meeting_plan"),
    path("sinh-hoat/<int:meeting_id>/ghi-bien-ban/", meeting_views.meeting_minutes, name="meeting_minutes"),
    path("sinh-hoat/<int:meeting_id>/bien-ban/", meeting_views.minutes_page, name="minutes_page"),
    path("sinh-hoat/<int:meeting_id>/bien-ban.docx", meeting_views.minutes_word, name="minutes_word"),
    path("sinh-hoat/<int:meeting_id>/tai-lieu/", meeting_views.material_upload, name="material_upload"),
    path("sinh-hoat/<int:meeting_id>/xoa/", meeting_views.meeting_delete, name="meeting_delete"),
    path("tai-lieu/<int:material_id>/", meeting_views.material_download, name="material"),
    path("xep-loai/", rating_views.results, name="ratings"),
    path("xep-loai/dot/", rating_views.rounds, name="rating_rounds"),
    path("xep-loai/dot/<int:period_id>/", rating_views.round_page, name="rating_round"),
    path("xep-loai/ky-luat/", rating_views.disciplines, name="disciplines"),
    path("chi-tieu/", target_views.targets_page, name="targets"),
    path("chi-tieu/<int:target_id>/", target_views.target_page, name="target"),
    path("chi-tieu/minh-chung/<int:value_id>/", target_views.evidence_download, name="evidence"),
    path("chi-tieu/dan-van-kheo/", target_views.registrations, name="registrations"),
    path("nhiem-vu/", task_views.task_list, name="tasks"),
    path("nhiem-vu/moi/", task_views.task_new, name="task_new"),
    path("nhiem-vu/bang/", task_views.board, name="task_board"),
    path("nhiem-vu/lich/", task_views.task_calendar, name="task_calendar"),
    path("nhiem-vu/thong-ke/", task_views.statistics, name="task_statistics"),
    path("nhiem-vu/<int:task_id>/", task_views.task_page, name="task"),
    path("nhiem-vu/tep/<int:update_id>/", task_views.attachment, name="task_attachment"),
    path("sap-xep/", reorg_views.index, name="reorg"),
    path("sap-xep/hop-nhat/", reorg_views.operation_page, {"operation": "merge"}, name="reorg_merge"),
    path("sap-xep/doi-ten/", reorg_views.operation_page, {"operation": "rename"}, name="reorg_rename"),
    path("sap-xep/chuyen-truc-thuoc/", reorg_views.operation_page, {"operation": "move"}, name="reorg_move"),
    path("sap-xep/giai-the/", reorg_views.operation_page, {"operation": "dissolve"}, name="reorg_dissolve"),
    path("sap-xep/chia-tach/", reorg_views.split_page, name="reorg_split"),
    path("sap-xep/chuyen-sinh-hoat/", reorg_views.transfer_page, name="reorg_transfer"),
    path("bao-cao/", periodic_views.report_list, name="reports"),
    path("bao-cao/lap/", periodic_views.report_open, name="report_open"),
    path("bao-cao/theo-doi/", periodic_views.board_page, name="report_board"),
    path("bao-cao/dot-xuat/moi/", periodic_views.request_new, name="report_request_new"),
    path("bao-cao/<int:report_id>/", periodic_views.report_page, name="report"),
    path("bao-cao/<int:report_id>/bao-cao.docx", periodic_views.report_word, name="report_word"),
    path("bao-cao/<int:report_id>/bao-cao.pdf", periodic_views.report_pdf, name="report_pdf"),
    path("bao-cao/<int:report_id>/so-lieu.xlsx", periodic_views.report_excel, name="report_excel"),
    path("nhap-du-lieu/", exchange_views.upload, name="import"),
    path("nhap-du-lieu/<int:batch_id>/", exchange_views.batch_page, name="import_batch"),
    path("nhap-du-lieu/vi-du.xlsx", exchange_views.example, name="import_example"),
    path("thong-bao/", notice_views.notifications, name="notifications"),
    path("tai-khoan/", account_views.account_list, name="accounts"),
    path("tai-khoan/tao-hang-loat/", account_views.bulk_create, name="accounts_bulk"),
    path("tai-khoan/mat-khau/<str:key>/", account_views.issued_page, name="accounts_issued"),
    path("tai-khoan/mat-khau/<str:key>/mat-khau.xlsx", account_views.issued_workbook, name="accounts_issued_xlsx"),
    path("tai-khoan/<int:user_id>/khoa/", account_views.account_disable, name="account_disable"),
    path("tai-khoan/<int:user_id>/mo-khoa/", account_views.account_enable, name="account_enable"),
    path("tai-khoan/<int:user_id>/cap-lai-mat-khau/", account_views.account_reset, name="account_reset"),
    path(
        "tai-khoan/<int:user_id>/dat-lai-hai-buoc/", two_factor_views.account_reset, name="account_two_factor_reset"
    ),
    path("nhat-ky/", audit_views.audit_list, name="audit"),
    path("nhat-ky/tai-ve/", audit_views.audit_export, name="audit_export"),
    path("doi-mat-khau/", account_views.password_change, name="password_change"),
    path("bao-mat/", two_factor_views.security, name="account_security"),
    path("bao-mat/hai-buoc/", two_factor_views.enroll, name="two_factor_enroll"),
    path("bao-mat/hai-buoc/tat/", two_factor_views.disable, name="two_factor_disable"),
    path("bao-mat/ma-du-phong/", two_factor_views.recovery_codes, name="two_factor_codes"),
    path("bao-mat/ma-du-phong/tao-lai/", two_factor_views.renew_codes, name="two_factor_codes_new"),
    path("doi-mat-khau/dang-xuat-moi-thiet-bi/", account_views.sessions_end, name="sessions_end"),
    path("dang-nhap/", LoginView.as_view(), name="login"),
    path("dang-nhap/ma-xac-thuc/", two_factor_views.verify, name="two_factor_verify"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
