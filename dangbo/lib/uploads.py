"""Checking an uploaded file before it is stored: its extension among those accepted, its size,
and its first bytes matching the extension (the extension alone proves nothing)."""

from __future__ import annotations

import uuid

from django import forms


def random_name(folder: str, filename: str) -> str:
    """Where an upload is stored: a random name in `folder`, keeping only the file's extension (the
    name a user gave never reaches the file system)."""
    suffix = "".join(c for c in filename.rsplit(".", 1)[-1].lower() if c.isalnum())[:8] if "." in filename else ""
    return f"{folder}/{uuid.uuid4().hex}{'.' + suffix if suffix else ''}"


def checked_upload(upload, signatures: dict[str, list[bytes]], max_bytes: int, *, kinds: str, what: str,
                   mismatch: str):  # fmt: skip
    """`upload` if it passes; otherwise a Vietnamese ValidationError naming `what` ("Bản chụp")
    and the accepted `kinds` ("PDF, JPG hoặc PNG"), or saying `mismatch` when the content is not
    what the extension says."""
    suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if suffix not in signatures:
        raise forms.ValidationError(f"{what} phải là tệp {kinds}.")
    if upload.size > max_bytes:
        raise forms.ValidationError(f"{what} lớn hơn {max_bytes // (1024 * 1024)} MB.")
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in signatures[suffix]):
        raise forms.ValidationError(mismatch)
    return upload
