from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from dangbo.accounts.views import LoginView
from dangbo.admissions import views as admission_views
from dangbo.members import event_views, report_views
from dangbo.members import views as member_views
from dangbo.orgs import views as org_views

admin.site.site_header = "dangbo — Quản trị"
admin.site.site_title = "dangbo"
admin.site.index_title = "Quản trị dữ liệu"

urlpatterns = [
    path("", org_views.overview, name="overview"),
    path("to-chuc/<int:unit_id>/", org_views.overview, name="unit"),
    path("dang-vien/", member_views.member_list, name="member_list"),
    path("dang-vien/<int:member_id>/", member_views.member_detail, name="member_detail"),
    path("dang-vien/<int:member_id>/phieu/", report_views.member_sheet, name="member_sheet"),
    path("dang-vien/so-danh-sach/", report_views.register, name="register"),
    path("huy-hieu/", report_views.badges, name="badges"),
    path("dang-vien/<int:member_id>/su-kien/<str:kind>/", event_views.event_new, name="event_new"),
    path("dang-vien/<int:member_id>/le-ket-nap/", event_views.ceremony, name="event_ceremony"),
    path("dang-vien/<int:member_id>/huy-su-kien/", event_views.cancel_latest, name="event_cancel"),
    path("su-kien/<int:event_id>/ban-chup/", event_views.event_scan, name="event_scan"),
    path("ket-nap/", admission_views.pipeline, name="pipeline"),
    path("ket-nap/moi/", admission_views.candidate_edit, name="candidate_new"),
    path("ket-nap/<int:candidate_id>/", admission_views.candidate_edit, name="candidate"),
    path("ket-nap/<int:candidate_id>/ket-nap/", admission_views.candidate_admit, name="candidate_admit"),
    path("dang-nhap/", LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
