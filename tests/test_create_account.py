"""manage.py create_account: the first account of a new install, made from the command line."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangbo.accounts.models import Role, User
from dangbo.audit.models import AuditEntry
from dangbo.orgs.models import Unit


def run(*args) -> str:
    out = StringIO()
    call_command("create_account", *args, stdout=out)
    return out.getvalue()


def test_an_account_of_the_root_signs_in_with_its_one_time_password(demo, client):
    code = Unit.objects.get(pk=demo["root"]).code
    before = AuditEntry.objects.filter(action="account_create").count()
    out = run("--unit", code, "--name", "Nguyễn Thị Lan", "--username", "lan.btc")
    password = re.search(r"Mật khẩu dùng một lần: (\S+)", out).group(1)
    user = User.objects.get(username="lan.btc")
    assert (user.role, user.unit_id, user.must_change_password) == (Role.SUPERIOR_STAFF, demo["root"], True)
    assert (user.last_name, user.first_name) == ("Nguyễn Thị", "Lan")
    assert AuditEntry.objects.filter(action="account_create").count() == before + 1
    assert client.login(username="lan.btc", password=password)


def test_an_unknown_unit_or_a_role_the_unit_cannot_have_is_refused_in_vietnamese(demo):
    with pytest.raises(CommandError, match="Không có đơn vị nào mã “KHONG-CO”"):
        run("--unit", "KHONG-CO")
    code = Unit.objects.get(pk=demo["root"]).code
    with pytest.raises(CommandError, match="không có vai trò Bí thư chi bộ"):
        run("--unit", code, "--role", "cell_secretary")
    run("--unit", code, "--username", "lan.btc")
    with pytest.raises(CommandError, match="đã có người dùng"):
        run("--unit", code, "--username", "lan.btc")
