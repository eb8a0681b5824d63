"""Uploaded files follow the transaction that stores their row.

A file is written under its final name at once (the rest of the transaction, and the page that
answers, may read it back), and its deletion is armed. Django drops the commit callbacks of a
transaction, or of a savepoint, that rolls back; the callback that disarms the deletion goes with
them, and dropping it deletes the file. So a write that fails leaves no file behind. A process
killed in the middle leaves its file: `manage.py sweep_files` removes files no row refers to.

Deleting goes the other way: the file is removed when the transaction commits, so a rolled-back
deletion keeps the file its row still names.
"""

from __future__ import annotations

import os
import weakref

from django.core.files.storage import FileSystemStorage
from django.db import transaction


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class _KeepOnCommit:
    """The commit callback of one stored file: called on commit, it keeps the file; dropped
    uncalled (the transaction rolled back), it deletes it."""

    def __init__(self, path: str):
        # The finalizer holds the path, not this object, so that dropping the callback frees it.
        self._delete = weakref.finalize(self, _remove, path)

    def __call__(self) -> None:
        self._delete.detach()


class TransactionalFileSystemStorage(FileSystemStorage):
    """The file system storage of uploads (MEDIA_ROOT), whose files a rollback takes back."""

    def _save(self, name, content):
        name = super()._save(name, content)
        transaction.on_commit(_KeepOnCommit(self.path(name)))
        return name

    def delete(self, name):
        transaction.on_commit(lambda: super(TransactionalFileSystemStorage, self).delete(name))
