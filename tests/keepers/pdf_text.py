"""The text of a PDF as the report tests read it: pypdf's extraction, page by page, and the whole
document with every run of whitespace as one space (a table row or a wrapped paragraph then reads
as one line). pypdf is a test-only dependency: the report tests skip, saying so, without it."""

import io
import re

import pytest

pypdf = pytest.importorskip(
    "pypdf", reason="pypdf (PDF text extraction for the report tests) is not installed"
)


def pdf_pages(document: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages]


def flat(pages: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(pages))
