"""The accounts of a scope: the list (filter, disable, re-enable, a new one-time password), their
creation in bulk (one per unit, or from an uploaded list), the one showing of the one-time
passwords (a printable page of slips and a workbook), and everyone's own password change.

Superior and grassroots staff manage the accounts of their subtree (accounts.actions.may_manage);
a cell secretary is refused (403), a viewer and anyone outside get 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangbo.lib import vn, xlsx
from dangbo.lib.http import id_param, today
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import parent_of, version_labels

from . import actions, issued, two_factor
from .models import Role, User
from .roster import COLUMNS, ListRefused, read_list
from .scope import scope_for

PAGE_SIZE = 100
STATUSES = {"hoat-dong": ("hoạt động", True), "da-khoa": ("đã khóa", False)}


def _manager_scope(request):
    """Superior and grassroots staff (and superusers) manage accounts: a cell secretary 403, a viewer 404."""
    return scope_for(request, records=True)


def _units_of(scope) -> dict[int, dict]:
    """The scope's units today, each with its label ("Chi bộ … — Đảng bộ …", orgs.labels), in tree
    order: two queries."""
    day = today()
    fields = ("unit_id", "name", "kind", "path", "valid_from", "valid_to")
    versions = list(scope.units_on(day).order_by("path").only(*fields))
    labels = version_labels(versions, day)
    return {
        v.unit_id: {"unit_id": v.unit_id, "name": v.name, "kind": v.kind, "path": v.path, "label": labels[v.unit_id],
                    "parent": parent_of(labels[v.unit_id])}
        for v in versions
    }  # fmt: skip


def _account_or_404(request, scope, user_id) -> User:
    user_id = id_param(user_id)
    account = User.objects.filter(pk=user_id).first() if user_id else None
    if account is None or not scope.unit_held_on(account.unit_id, today()):
        raise Http404
    return account


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("accounts")


@login_required
def account_list(request):
    scope = _manager_scope(request)
    units = _units_of(scope)
    accounts = User.objects.filter(unit_id__in=scope.units_on(today()).values("unit_id"))
    unit_id, role, status = (
        id_param(request.GET.get("unit")),
        request.GET.get("role", ""),
        request.GET.get("status", ""),
    )
    if unit_id in units:
        accounts = accounts.filter(unit_id=unit_id)
    if role in Role.values:
        accounts = accounts.filter(role=role)
    if status in STATUSES:
        accounts = accounts.filter(is_active=STATUSES[status][1])
    rows = list(
        accounts.only(
            "username",
            "first_name",
            "last_name",
            "role",
            "unit_id",
            "is_active",
            "is_superuser",
            "last_login",
            "must_change_password",
        )
    )
    query = vn.fold(request.GET.get("q", ""))
    if query:  # names without diacritics match names with them: folded here, the scope's accounts are few
        rows = [u for u in rows if query in vn.fold(f"{u.get_full_name()} {u.username}")]
    rank = {role: -value for role, value in actions.RANK.items()}
    rows.sort(key=lambda u: (units[u.unit_id]["path"], rank.get(u.role, 0), u.username))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    with_two_factor = two_factor.users_with_authenticator([account.pk for account in page])
    for account in page:
        account.two_factor = account.pk in with_two_factor
        account.unit_name, account.unit_parent = units[account.unit_id]["name"], units[account.unit_id]["parent"]
        account.managed = actions.may_manage(request.user, account, scope.unit_id)
    context = {
        "page": page,
        "total": len(rows),
        "units": units.values(),
        "roles": Role.choices,
        "statuses": STATUSES,
        "chosen": {"unit": unit_id, "role": role, "status": status, "q": request.GET.get("q", "")},
    }
    return render(request, "accounts/list.html", context)


@login_required
@require_POST
def account_disable(request, user_id: int):
    return _set_active(request, user_id, False)


@login_required
@require_POST
def account_enable(request, user_id: int):
    return _set_active(request, user_id, True)


def _set_active(request, user_id, active: bool):
    scope = _manager_scope(request)
    account = _account_or_404(request, scope, user_id)
    if account.pk == request.user.pk:
        messages.error(request, "Bạn không thể tự khóa tài khoản của chính mình.")
    elif not actions.may_manage(request.user, account, scope.unit_id):
        messages.error(request, f"Tài khoản “{account.username}” do cấp trên quản lý; bạn không khóa hay mở được.")
    elif actions.set_active(request.user, account, active):
        messages.success(request, f"Đã {'mở lại' if active else 'khóa'} tài khoản “{account.username}”.")
    else:
        messages.info(request, f"Tài khoản “{account.username}” đã {'hoạt động' if active else 'bị khóa'} từ trước.")
    return _back(request)


@login_required
@require_POST
@submitted_once
def account_reset(request, user_id: int):
    scope = _manager_scope(request)
    account = _account_or_404(request, scope, user_id)
    if not actions.may_manage(request.user, account, scope.unit_id):
        messages.error(
            request,
            f"Bạn không cấp lại mật khẩu cho tài khoản “{account.username}” được (tài khoản của "
            "chính bạn hoặc do cấp trên quản lý).",
        )
        return _back(request)
    try:
        require_token(request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request)
    one = actions.reset_password(request.user, account)
    key = issued.keep(request, [one], f"Cấp lại mật khẩu tài khoản “{account.username}”")
    return redirect("accounts_issued", key)


class ListUploadForm(forms.Form):
    file = forms.FileField(
        label="Tệp danh sách (.xlsx hoặc .csv)",
        error_messages={"required": "Hãy chọn tệp danh sách (.xlsx hoặc .csv)."},
    )


@login_required
@submitted_once
def bulk_create(request):
    scope = _manager_scope(request)
    eligible = actions.eligible_units(request.user, scope)
    error, problems, upload_form = None, [], ListUploadForm()
    if request.method == "POST":
        try:
            if request.POST.get("mode") == "list":
                upload_form = ListUploadForm(request.POST, request.FILES)
                if not upload_form.is_valid():
                    raise ValidationError(upload_form.errors["file"])
                wanted = read_list(upload_form.cleaned_data["file"], request.user, scope)
                require_token(request)
                created = actions.create_listed_accounts(request.user, wanted)
                title = "Tài khoản tạo theo danh sách"
            else:
                chosen = [i for i in (id_param(v) for v in request.POST.getlist("unit")) if i]
                if not chosen:
                    raise ValidationError("Hãy chọn ít nhất một đơn vị.")
                require_token(request)
                created = actions.create_unit_accounts(request.user, scope, chosen)
                title = "Tài khoản tạo cho từng đơn vị"
        except ListRefused as refused:
            problems = refused.problems
            error = (
                f"Danh sách có {vn.format_number(len(problems))} lỗi; chưa tạo tài khoản nào. "
                "Hãy sửa tệp và tải lên lại."
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            key = issued.keep(request, created, title)
            return redirect("accounts_issued", key)
    usernames = actions.Usernames()
    proposed = [
        (
            version,
            Role(role).label,
            usernames.derive(actions.username_base(version.unit.code or f"dv{version.unit_id}")),
        )
        for version, role in eligible
    ]
    names = dict(
        scope.units_on(today()).filter(unit_id__in={v.parent_id for v, _ in eligible}).values_list("unit_id", "name")
    )
    context = {
        "proposed": [(v, label, name, names.get(v.parent_id, "")) for v, label, name in proposed],
        "error": error,
        "problems": problems,
        "upload_form": upload_form,
        "columns": [title for title, _, _ in COLUMNS.values()],
        "roles": Role.choices,
    }
    return render(request, "accounts/bulk.html", context)


def _login_address(request) -> str:
    return request.build_absolute_uri(reverse("login"))


@login_required
def issued_page(request, key: str):
    _manager_scope(request)
    shown = issued.show(request, key)
    context = {"key": key, "login_address": _login_address(request)}
    if shown is not None:
        context["title"], context["accounts"] = shown
    return render(request, "accounts/issued.html", context)


@login_required
def issued_workbook(request, key: str):
    _manager_scope(request)
    shown = issued.download(request, key)
    if shown is None:
        messages.error(request, "Tệp mật khẩu chỉ tải được một lần, từ trang vừa hiện mật khẩu; nay không còn nữa.")
        return redirect("accounts_issued", key)
    title, accounts = shown
    login_address = _login_address(request)
    content = xlsx.workbook(
        sheet_title="Mật khẩu tạm thời",
        heading=[title, f"Lập ngày {vn.format_date(today())} — mật khẩu tạm thời, phải đổi ở lần đăng nhập đầu"],
        columns=[
            ("STT", 6),
            ("Đơn vị", 42),
            ("Họ và tên", 26),
            ("Vai trò", 26),
            ("Tên đăng nhập", 18),
            ("Mật khẩu tạm thời", 18),
            ("Địa chỉ đăng nhập", 34),
        ],
        rows=[
            (n, a.unit, a.full_name, a.role, a.username, a.password, login_address)
            for n, a in enumerate(accounts, start=1)
        ],
    )
    return xlsx.response(content, f"mat-khau-tam-thoi-{today():%Y%m%d}.xlsx")


# --- one's own password ----------------------------------------------------------------------------


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Mật khẩu hiện tại",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label="Mật khẩu mới", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label="Nhập lại mật khẩu mới", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            field.error_messages["required"] = f"Hãy nhập {field.label.lower()}."

    def clean_old_password(self):
        password = self.cleaned_data["old_password"]
        if not self.user.check_password(password):
            raise ValidationError("Mật khẩu hiện tại không đúng.")
        return password

    def clean(self):
        data = super().clean()
        old, new, again = data.get("old_password"), data.get("new_password1"), data.get("new_password2")
        if new and again and new != again:
            self.add_error("new_password2", "Hai lần nhập mật khẩu mới không giống nhau.")
        elif new:
            if old and new == old:
                self.add_error("new_password1", "Mật khẩu mới phải khác mật khẩu hiện tại.")
            else:
                try:
                    actions.check_new_password(new, self.user)
                except ValidationError as error:
                    self.add_error("new_password1", error)
        return data


@login_required
def password_change(request):
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.change_own_password(user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, "Đã đổi mật khẩu.")
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("overview")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
    )


@login_required
@require_POST
def sessions_end(request):
    """Sign out everywhere ("Đăng xuất khỏi mọi thiết bị"): the account's other sessions end; this one goes on."""
    user = actions.end_other_sessions(request.user)
    update_session_auth_hash(request, user)
    messages.success(request, "Đã đăng xuất khỏi mọi thiết bị khác. Phiên đang dùng trên máy này vẫn tiếp tục.")
    return redirect("password_change")
