"""The import page: upload → preview of what would change and of every problem → confirm. The file
is kept with its batch; the preview and the confirmation both plan it against the database as it is
then, and the confirmation writes it in the same transaction (all or nothing)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from dangbo.accounts.scope import scope_for
from dangbo.lib import xlsx
from dangbo.lib.http import id_param, today
from dangbo.once.tokens import require_token, submitted_once

from .importer import ImportRefused, keep_batch, run_import
from .models import ImportBatch
from .reader import FileRefused, open_book

MAX_PROBLEMS_SHOWN = 500


def _importer_scope(request):
    """Superior and grassroots staff, who record membership decisions, import within their scope; as on
    the other recording pages, a cell secretary gets 403, a role that sees figures only 404."""
    return scope_for(request, records=True)


def max_bytes() -> int:
    return getattr(settings, "DANGBO_IMPORT_MAX_BYTES", 50 * 1024 * 1024)


@login_required
@submitted_once
def upload(request):
    scope = _importer_scope(request)
    error = None
    if request.method == "POST":
        files = request.FILES.getlist("file")
        error = _check_files(files)
        if error is None:
            try:
                book = open_book([(f.name, f) for f in files])
                book.close()
            except FileRefused as refused:
                error = refused.problem.message
        if error is None:
            try:
                require_token(request)
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
        if error is None:
            batch = _store(request, scope, files)
            return redirect("import_batch", batch.pk)
    batches = ImportBatch.objects.filter(created_by=request.user).order_by("-created_at")[:20]
    return render(request, "exchange/upload.html", {"error": error, "batches": batches,
                                                    "max_mb": max_bytes() // (1024 * 1024)})  # fmt: skip


def _check_files(files) -> str | None:
    if not files:
        return "Hãy chọn tệp sổ trao đổi (.xlsx) hoặc các tệp CSV của các sheet."
    for f in files:
        if f.size > max_bytes():
            return f"Tệp “{f.name}” lớn hơn giới hạn {max_bytes() // (1024 * 1024)} MB."
        if not f.name.lower().endswith((".xlsx", ".csv", ".txt")):
            return f"Tệp “{f.name}” không phải .xlsx hay .csv; hãy dùng mẫu sổ trao đổi."
    return None


def _store(request, scope, files) -> ImportBatch:
    import io
    import zipfile

    from django.core.files.base import ContentFile

    if len(files) == 1:
        content, filename = files[0], files[0].name
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for f in files:
                archive.writestr(f.name, f.read())
        content, filename = ContentFile(buffer.getvalue()), "nhap-du-lieu.zip"
    batch = ImportBatch(filename=filename[:255], unit_id=scope.unit_id, created_by=request.user)
    batch.file.save(filename, content, save=False)
    batch.save()
    return batch


def _files_of(batch: ImportBatch) -> list:
    """The uploaded files back: the one workbook, or the CSV files of a zipped set."""
    import io
    import zipfile

    batch.file.open("rb")
    data = batch.file.read()
    batch.file.close()
    if batch.filename.endswith(".zip") and zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [(name, io.BytesIO(archive.read(name))) for name in archive.namelist()]
    return [(batch.filename, io.BytesIO(data))]


def _batch_or_404(request, batch_id) -> ImportBatch:
    batch_id = id_param(batch_id)
    batch = ImportBatch.objects.filter(pk=batch_id, created_by=request.user).first() if batch_id else None
    if batch is None:
        raise Http404
    return batch


@login_required
@submitted_once
def batch_page(request, batch_id: int):
    scope = _importer_scope(request)
    batch = _batch_or_404(request, batch_id)
    if batch.unit_id != scope.unit_id:
        raise Http404
    context = {"batch": batch, "max_problems": MAX_PROBLEMS_SHOWN}
    if batch.applied_at is not None:
        return render(request, "exchange/result.html", context)
    allow = request.method == "POST" and request.POST.get("namesakes") == "1"
    commit = request.method == "POST"
    if commit:
        ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
        batch.refresh_from_db()
        if batch.applied_at is not None:
            return redirect("import_batch", batch.pk)
    try:
        book = open_book(_files_of(batch))
    except FileRefused as refused:
        context.update(plan=None, problems=[refused.problem])
        return render(request, "exchange/preview.html", context)
    if commit:
        try:
            require_token(request)
        except ValidationError as refusal:
            commit, allow = False, False
            context["token_error"] = " ".join(refusal.messages)
    try:
        plan = run_import(book, actor=request.user, scope=scope, commit=commit, allow_namesakes=allow)
    except ImportRefused as refused:
        plan = refused.plan
        if commit and not plan.problems:
            context["namesakes_error"] = ("Có hồ sơ trùng họ tên và ngày sinh: hãy kiểm tra và đánh dấu xác nhận "
                                          "trước khi nhập.")  # fmt: skip
    finally:
        book.close()
    if commit and not plan.problems and "namesakes_error" not in context:
        with transaction.atomic():
            keep_batch(request.user, batch.unit, None, plan, batch=batch)
        return redirect("import_batch", batch.pk)
    context.update(plan=plan, counts=plan.counts(), problems=plan.problems[:MAX_PROBLEMS_SHOWN])
    return render(request, "exchange/preview.html", context)


@login_required
def example(request):
    """A small example workbook for the reader's own unit, ready to import (see example.py)."""
    import io

    from .example import example_workbook

    scope = _importer_scope(request)
    root = scope.root_on(today())
    if root is None:
        raise Http404
    buffer = io.BytesIO()
    example_workbook(root, today()).save(buffer)
    return xlsx.response(buffer.getvalue(), "So-trao-doi-vi-du.xlsx")
