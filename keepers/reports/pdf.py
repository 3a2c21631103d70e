"""PDF building blocks shared by the reports (reportlab, pure Python): the document template with a
footer naming the data's block and time and the page number, headings and paragraphs, tables,
matplotlib charts embedded as images, and the number formats every report uses (the tests format
their inputs with the same functions and find them in the extracted text). No chain access."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from keepers.core.redact import redact_urls

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MARGIN = 15 * mm
CHART_DPI = 150
HEADER_BACKGROUND = colors.HexColor("#1f3a5f")
PADDING = 3  # points, each side of a cell
ZEBRA = colors.HexColor("#eef2f7")
_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=9, leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5, textColor=colors.grey)
# Headings and a table's or chart's introduction stay on the page of what they introduce.
TITLE = ParagraphStyle("title", parent=_STYLES["Heading1"], keepWithNext=1)
SECTION = ParagraphStyle("section", parent=_STYLES["Heading2"], keepWithNext=1)
INTRO = ParagraphStyle("intro", parent=BODY, keepWithNext=1)
SMALL_INTRO = ParagraphStyle("small_intro", parent=SMALL, keepWithNext=1)


@dataclass(frozen=True)
class DataStamp:
    """Where and when the report's data was read: the network, the block and its time (unix
    seconds; None for a report built from files). A network given with an RPC URL keeps its
    scheme and host only (keepers.core.redact): a report goes to clients, an RPC key must not."""

    network: str
    block: int | None
    timestamp: int | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "network", redact_urls(self.network))

    def text(self) -> str:
        at = "" if self.block is None else f", block {self.block}"
        if self.timestamp is not None:
            at += f" at {utc(self.timestamp)}"
        return f"Data: {self.network}{at}"

    def to_json(self) -> dict:
        return {"network": self.network, "block": self.block, "timestamp": self.timestamp}


def utc(timestamp: int) -> str:
    """A unix time as 'YYYY-MM-DD HH:MM:SS UTC'."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def usd(value: float) -> str:
    """US dollars with thousands separators and cents: 1,234,567.89."""
    return f"{value:,.2f}"


def pct(value: float | None, digits: int = 2) -> str:
    """A fraction as a percentage: 0.0123 -> '1.23%'; None (not finite) -> 'n/a'."""
    if value is None:
        return "n/a"
    return f"{round(value * 100, digits) + 0.0:.{digits}f}%"  # + 0.0: never '-0.00%'


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def heading(text: str, level: int = 1) -> Paragraph:
    return Paragraph(text, TITLE if level == 1 else SECTION)


def paragraph(text: str, small: bool = False, intro: bool = False) -> Paragraph:
    """Body text; `intro`: it introduces the next flowable and stays on its page."""
    if intro:
        return Paragraph(text, SMALL_INTRO if small else INTRO)
    return Paragraph(text, SMALL if small else BODY)


def spacer(height_mm: float = 3) -> Spacer:
    return Spacer(1, height_mm * mm)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    font_size: float = 8,
    monospace: Sequence[int] = (),
    mono_size: float | None = None,
    widths: Sequence[float] | None = None,
    total_row: bool = False,
) -> Table:
    """A table with a header repeated on every page it spans, zebra rows, the `numeric` columns
    right-aligned and the `monospace` ones (addresses, hashes) in Courier; `total_row` bolds the
    last row. A cell is text, or a flowable (a `paragraph` wraps within its column). An empty
    `rows` gives one row saying so."""
    body = [
        [cell if isinstance(cell, Flowable) else str(cell) for cell in row] for row in rows
    ] or [["none"] + [""] * (len(header) - 1)]
    grid = Table([list(header), *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", font_size),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", font_size),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(body) + 1, 2)]
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in numeric]
    style += [("FONT", (c, 1), (c, -1), "Courier", mono_size or font_size - 1) for c in monospace]
    if total_row and rows:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", font_size),
            ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
        ]
    grid.setStyle(TableStyle(style))
    return grid


def chart(figure: Figure, width_mm: float) -> Image:
    """A matplotlib figure as a PNG image `width_mm` wide (its aspect kept). Drawn with the Agg
    canvas directly: no pyplot, no global backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=CHART_DPI)
    buffer.seek(0)
    width_in, height_in = figure.get_size_inches()
    width = width_mm * mm
    return Image(buffer, width=width, height=width * height_in / width_in)


def render(
    target: Path | io.BytesIO,
    title: str,
    stamp: DataStamp,
    story: list[Flowable],
    *,
    wide: bool = False,
) -> None:
    """Writes the document: `title` on top, `story` below, and on every page a footer with the
    title, the data stamp and 'Page n'. `wide`: A4 landscape (tables of addresses and hashes)."""
    size = landscape(A4) if wide else A4
    document = SimpleDocTemplate(
        str(target) if isinstance(target, Path) else target,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=title,
        author="Quantera",
    )
    footer = f"{title} · {stamp.text()}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, MARGIN, footer)
        canvas.drawRightString(size[0] - MARGIN, MARGIN, f"Page {doc.page}")
        canvas.restoreState()

    document.build([heading(title), *story], onFirstPage=on_page, onLaterPages=on_page)
