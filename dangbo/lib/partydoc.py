"""Word documents in the format of party documents (Hướng dẫn 36-HD/VPTW): A4, Times New Roman 13–14
(TCVN 6909 Unicode), the margins of the guide; and the pieces the minutes and the reports share.
PDF through LibreOffice where it is installed."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def a4_document(size: int = 13):
    """An empty A4 document: margins top and bottom 2 cm, left 3 cm, right 1.5–2 cm."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(size)
    return document


def paragraph(document, text: str, *, bold=False, italic=False, size=13, align=None, space_after=4, indent=None):
    par = document.add_paragraph()
    run = par.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    if align is not None:
        par.alignment = align
    if indent is not None:
        par.paragraph_format.first_line_indent = Cm(indent)
    par.paragraph_format.space_after = Pt(space_after)
    return par


def cell_lines(cell, lines, align=WD_ALIGN_PARAGRAPH.CENTER, size=None) -> None:
    """Write lines into a table cell, each (text, bold) or (text, bold, italic, underline)."""
    cell.text = ""
    for index, line in enumerate(lines):
        text, bold, italic, underline = (*line, False, False)[:4]
        par = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        par.alignment = align
        par.paragraph_format.space_after = Pt(0)
        run = par.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        if size:
            run.font.size = Pt(size)


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def office() -> str | None:
    """LibreOffice's command, when it is installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


class PdfError(Exception):
    """LibreOffice is installed but did not render the document."""


def to_pdf(docx: bytes, timeout: int = 120) -> bytes | None:
    """The PDF LibreOffice renders of a .docx; None where LibreOffice is not installed."""
    command = office()
    if command is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.docx"
        source.write_bytes(docx)
        profile = Path(folder) / "profile"
        try:
            subprocess.run(
                [command, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                 "--outdir", folder, str(source)],
                check=True, capture_output=True, timeout=timeout,
            )  # fmt: skip
            return (Path(folder) / "document.pdf").read_bytes()
        except (OSError, subprocess.SubprocessError) as error:
            raise PdfError(str(error)) from error
