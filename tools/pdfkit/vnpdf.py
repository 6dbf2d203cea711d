"""Vietnamese official-style PDF documents (A4, multi-page) rendered with fpdf2.

A document is described by :class:`OfficialDocument` (header, number, date, title,
subject, body blocks, signatory) and rendered by :func:`render`. The layout follows
the usual shape of administrative documents of a provincial People's Committee
(Decree 30/2020/ND-CP): issuing body and national motto in two columns, number and
place/date below them, the centred document type and subject, the body, then the
distribution list ("Nơi nhận") and the signatory block.

All text is real text in embedded, subset DejaVu fonts, so it extracts with the
Vietnamese diacritics intact. :func:`fit_to_pages` grows a document with filler
blocks until it has an exact number of pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence, Union

from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path(os.environ.get("PDFKIT_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
FONT_FAMILY = "DejaVu"

# Page geometry (mm). Decree 30 asks for 30-35 mm left, 15-20 mm right, 20-25 mm
# top and bottom margins.
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 28.0, 17.0, 18.0, 20.0
CONTENT_W = PAGE_W - MARGIN_L - MARGIN_R

BODY_PT = 11
LINE_H = 6.0  # mm per body line
INDENT = 10.0  # first-line indent (mm)
MM_TO_PT = 72.0 / 25.4

PROVINCE_ISSUER = ("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG BÌNH")
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"


def nfc(text: str) -> str:
    """Vietnamese text in Unicode NFC (precomposed letters, as DejaVu has them)."""
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------- model


@dataclass
class Heading:
    """A section heading: level 1 "I. KẾT QUẢ ĐẠT ĐƯỢC", level 2 "1. Hạ tầng ..."."""

    text: str
    level: int = 1


@dataclass
class Paragraph:
    """A justified body paragraph with a first-line indent and an optional bold lead
    (e.g. "Điều 1." or "a)")."""

    text: str
    lead: str | None = None
    italic: bool = False
    indent: bool = True
    bold: bool = False
    align: str = "J"  # "J" justified, "C" centred, "L" left, "R" right


@dataclass
class ItemList:
    """A list of points. ``marker`` is "-", "+", "1." (numbered), "a)" (lettered)."""

    items: list[str]
    marker: str = "-"
    start: int = 1  # first number for "1." / "1)" / "a)" markers


@dataclass
class Table:
    """A bordered table with a bold header row. ``widths`` are relative weights."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None
    caption: str | None = None
    numeric_cols: Sequence[int] = ()


Block = Union[Heading, Paragraph, ItemList, Table]


@dataclass
class Signatory:
    """The signature block: capacity lines (e.g. ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])
    and the signer's printed name (None for drafts)."""

    capacity: list[str]
    name: str | None = None


@dataclass
class OfficialDocument:
    doc_type: str  # "TỜ TRÌNH", "BÁO CÁO", "DỰ THẢO NGHỊ QUYẾT", "DỰ THẢO KẾT LUẬN", ...
    number: str  # "125/TTr-UBND" (printed as "Số: 125/TTr-UBND")
    date: dt.date | None  # None prints "ngày      tháng    năm 2026"-style blanks
    subject: str  # trích yếu, e.g. "Về việc ..."
    body: list[Block] = field(default_factory=list)
    place: str = "Quảng Bình"
    issuer: Sequence[str] = PROVINCE_ISSUER
    recipients: list[str] = field(default_factory=list)  # "Kính gửi: ..."
    signatory: Signatory | None = None
    distribution: list[str] = field(default_factory=list)  # "Nơi nhận:"
    marking: str | None = None  # e.g. "MẬT" (boxed, red) or "LƯU HÀNH NỘI BỘ"
    draft_label: str | None = None  # e.g. "Dự thảo lần 2" (top-left box)
    draft_year: int | None = None  # year printed when ``date`` is None
    author: str = "UBND tỉnh Quảng Bình"
    keywords: str = ""
    language: str = "vi-VN"


@dataclass
class SignatureBox:
    """Where the signature goes: 0-based page index and a rectangle in PDF user space
    (points, origin bottom-left) as (x1, y1, x2, y2)."""

    page: int
    rect: tuple[int, int, int, int]


@dataclass
class RenderedDocument:
    pdf: bytes
    pages: int
    signature_box: SignatureBox | None


# ------------------------------------------------------------------------ rendering


def date_line(place: str, date: dt.date | None, year: int | None = None) -> str:
    """"Quảng Bình, ngày 20 tháng 11 năm 2026" (day and month zero-padded below 10
    for day < 10 and month < 3, as Decree 30 asks)."""
    if date is None:
        y = year or dt.date.today().year
        return f"{place}, ngày      tháng      năm {y}"
    day = f"{date.day:02d}" if date.day < 10 else str(date.day)
    month = f"{date.month:02d}" if date.month < 3 else str(date.month)
    return f"{place}, ngày {day} tháng {month} năm {date.year}"


class _Pdf(FPDF):
    footer_text = "Trang {page}/{nb}"

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT_FAMILY, "", 8.5)
        self.set_text_color(90, 90, 90)
        self.cell(
            0,
            5,
            self.footer_text.format(page=self.page_no(), nb=self.str_alias_nb_pages),
            align="C",
        )
        self.set_text_color(0, 0, 0)


def _font_file(name: str, fallback: str) -> str:
    p = FONT_DIR / name
    return str(p if p.exists() else FONT_DIR / fallback)


# Parsed fonts reused by layout-only passes (page counting); a real render always
# loads fresh ones so that each PDF's font subsets contain only its own glyphs.
_MEASURE_FONTS: dict[str, object] = {}


def _new_pdf(doc: OfficialDocument, measure: bool = False) -> _Pdf:
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    if measure and _MEASURE_FONTS:
        pdf.fonts.update(_MEASURE_FONTS)  # type: ignore[arg-type]
    else:
        pdf.add_font(FONT_FAMILY, "", _font_file("DejaVuSans.ttf", "DejaVuSans.ttf"))
        pdf.add_font(FONT_FAMILY, "B", _font_file("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"))
        pdf.add_font(FONT_FAMILY, "I", _font_file("DejaVuSans-Oblique.ttf", "DejaVuSans.ttf"))
        pdf.add_font(
            FONT_FAMILY, "BI", _font_file("DejaVuSans-BoldOblique.ttf", "DejaVuSans-Bold.ttf")
        )
        if measure:
            _MEASURE_FONTS.update(pdf.fonts)
    pdf.set_margins(MARGIN_L, MARGIN_T, MARGIN_R)
    pdf.set_auto_page_break(True, margin=MARGIN_B)
    pdf.c_margin = 0
    title = f"{doc.doc_type} {nfc(doc.subject)}".strip()
    pdf.set_title(nfc(title))
    pdf.set_author(nfc(doc.author))
    pdf.set_subject(nfc(f"Số: {doc.number}"))
    if doc.keywords:
        pdf.set_keywords(nfc(doc.keywords))
    pdf.set_creator("PhòngHọp pdfkit (fpdf2)")
    pdf.set_lang(doc.language)
    pdf.add_page()
    return pdf


def _centered(pdf: FPDF, x: float, w: float, text: str, style: str, size: float, h: float) -> float:
    """Write one centred line in the column [x, x+w]; shrink the font until it fits.
    Returns the text width."""
    text = nfc(text)
    while True:
        pdf.set_font(FONT_FAMILY, style, size)
        tw = pdf.get_string_width(text)
        if tw <= w or size <= 6:
            break
        size -= 0.25
    pdf.set_x(x)
    pdf.cell(w, h, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return tw


def _underline(pdf: FPDF, x: float, w: float, y: float, length: float) -> None:
    pdf.set_line_width(0.3)
    pdf.line(x + (w - length) / 2, y, x + (w + length) / 2, y)


def _boxed(pdf: FPDF, x: float, y: float, text: str, color=(0, 0, 0), size: float = 10, style="B") -> None:
    pdf.set_font(FONT_FAMILY, style, size)
    pdf.set_draw_color(*color)
    pdf.set_text_color(*color)
    w = pdf.get_string_width(nfc(text)) + 6
    pdf.set_xy(x, y)
    pdf.set_line_width(0.4)
    pdf.cell(w, 6.5, nfc(text), border=1, align="C")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_text_color(0, 0, 0)


def _header(pdf: FPDF, doc: OfficialDocument) -> None:
    left_x, left_w = MARGIN_L - 8, 72.0
    right_x = left_x + left_w
    right_w = PAGE_W - MARGIN_R - right_x + 4
    top = MARGIN_T

    # Left column: issuing body, number.
    pdf.set_xy(left_x, top)
    issuer = list(doc.issuer)
    for i, line in enumerate(issuer):
        style = "B" if i == len(issuer) - 1 else ""
        tw = _centered(pdf, left_x, left_w, line, style, 10.5, 5.2)
    _underline(pdf, left_x, left_w, pdf.get_y() + 0.8, min(tw, 32))
    pdf.set_y(pdf.get_y() + 3.5)
    _centered(pdf, left_x, left_w, f"Số: {doc.number}", "", 10.5, 5.5)
    left_bottom = pdf.get_y()
    if doc.marking:
        red = (200, 0, 0) if doc.marking.upper() == "MẬT" else (0, 0, 0)
        pdf.set_font(FONT_FAMILY, "B", 10)
        mw = pdf.get_string_width(nfc(doc.marking)) + 6
        _boxed(pdf, left_x + (left_w - mw) / 2, left_bottom + 1.5, doc.marking, red)
        left_bottom += 9

    # Right column: national name, motto, place and date.
    pdf.set_xy(right_x, top)
    _centered(pdf, right_x, right_w, NATIONAL_NAME, "B", 10.5, 5.2)
    tw = _centered(pdf, right_x, right_w, NATIONAL_MOTTO, "B", 11, 5.2)
    _underline(pdf, right_x, right_w, pdf.get_y() + 0.8, tw)
    pdf.set_y(pdf.get_y() + 3.5)
    _centered(pdf, right_x, right_w, date_line(doc.place, doc.date, doc.draft_year), "I", 10.5, 5.5)
    right_bottom = pdf.get_y()

    if doc.draft_label:
        pdf.set_font(FONT_FAMILY, "B", 9)
        _boxed(pdf, left_x + 4, top - 9.5, doc.draft_label, size=9, style="BI")

    pdf.set_y(max(left_bottom, right_bottom) + 8)

    # Title and subject.
    _centered(pdf, MARGIN_L, CONTENT_W, doc.doc_type, "B", 14, 7)
    if doc.subject:
        pdf.set_font(FONT_FAMILY, "B", 11.5)
        pdf.set_x(MARGIN_L + 8)
        pdf.multi_cell(CONTENT_W - 16, 5.8, nfc(doc.subject), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _underline(pdf, MARGIN_L, CONTENT_W, pdf.get_y() + 1.5, 40)
    pdf.set_y(pdf.get_y() + 6)

    if doc.recipients:
        pdf.set_font(FONT_FAMILY, "", BODY_PT)
        lead = "Kính gửi: "
        lw = pdf.get_string_width(lead)
        widest = max(pdf.get_string_width(nfc(r)) for r in doc.recipients)
        x0 = MARGIN_L + max(0.0, (CONTENT_W - lw - widest) / 2)
        for i, r in enumerate(doc.recipients):
            pdf.set_x(x0)
            pdf.cell(lw, LINE_H, lead if i == 0 else "", new_x=XPos.RIGHT)
            pdf.cell(widest + 2, LINE_H, nfc(r), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)


def _space_left(pdf: FPDF) -> float:
    return PAGE_H - MARGIN_B - pdf.get_y()


def _heading(pdf: FPDF, h: Heading) -> None:
    if _space_left(pdf) < 28:
        pdf.add_page()
    size = BODY_PT if h.level == 1 else BODY_PT
    pdf.set_font(FONT_FAMILY, "B", size)
    pdf.ln(1.5 if h.level == 1 else 0.5)
    indent = 0 if h.level == 1 else INDENT
    pdf.set_x(MARGIN_L + indent)
    pdf.multi_cell(CONTENT_W - indent, LINE_H, nfc(h.text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(0.5)


def _paragraph(pdf: FPDF, p: Paragraph) -> None:
    indent = INDENT if (p.indent and p.align == "J") else 0
    with pdf.text_columns(text_align=p.align, line_height=LINE_H / (BODY_PT / MM_TO_PT)) as cols:
        with cols.paragraph(first_line_indent=indent, bottom_margin=1.5) as par:
            if p.lead:
                pdf.set_font(FONT_FAMILY, "BI" if p.italic else "B", BODY_PT)
                par.write(nfc(p.lead) + (" " if p.text else ""))
            style = ("B" if p.bold else "") + ("I" if p.italic else "")
            pdf.set_font(FONT_FAMILY, style, BODY_PT)
            if p.text:
                par.write(nfc(p.text))


def _marker(marker: str, i: int) -> str:
    """The marker of the item with 0-based number ``i`` (``start`` already added)."""
    if marker == "1.":
        return f"{i + 1}."
    if marker == "1)":
        return f"{i + 1})"
    if marker == "a)":
        return f"{'abcdeghiklmnopqrstuvxy'[i % 22]})"
    return marker


def _item_list(pdf: FPDF, lst: ItemList) -> None:
    with pdf.text_columns(text_align="J", line_height=LINE_H / (BODY_PT / MM_TO_PT)) as cols:
        for i, item in enumerate(lst.items):
            with cols.paragraph(first_line_indent=INDENT, bottom_margin=1.0) as par:
                pdf.set_font(FONT_FAMILY, "", BODY_PT)
                par.write(f"{_marker(lst.marker, lst.start - 1 + i)} {nfc(item)}")


def _table(pdf: FPDF, t: Table) -> None:
    if _space_left(pdf) < 35:
        pdf.add_page()
    if t.caption:
        pdf.set_font(FONT_FAMILY, "I", 10)
        pdf.multi_cell(CONTENT_W, 5.5, nfc(t.caption), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.set_font(FONT_FAMILY, "", 9.5)
    pdf.set_line_width(0.2)
    widths = t.widths or [1.0] * len(t.header)
    total = float(sum(widths))
    col_w = tuple(CONTENT_W * w / total for w in widths)
    aligns = tuple("R" if i in t.numeric_cols else "L" for i in range(len(t.header)))
    with pdf.table(
        col_widths=col_w,
        width=CONTENT_W,
        line_height=5.0,
        padding=(1.2, 1.5),
        text_align=aligns,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        cell_fill_mode=TableCellFillMode.NONE,
    ) as table:
        row = table.row()
        for h in t.header:
            row.cell(nfc(h), align="C")
        for r in t.rows:
            row = table.row()
            for c in r:
                row.cell(nfc(str(c)))
    pdf.ln(3)


def _closing(pdf: FPDF, doc: OfficialDocument) -> SignatureBox | None:
    sig = doc.signatory
    dist = doc.distribution
    if sig is None and not dist:
        return None
    cap_lines = sig.capacity if sig else []
    sig_space = 26.0
    needed_right = len(cap_lines) * 5.5 + sig_space + 8
    needed_left = 6 + len(dist) * 4.6
    if _space_left(pdf) < max(needed_right, needed_left) + 4:
        pdf.add_page()
    pdf.ln(3)
    top = pdf.get_y()

    left_x, left_w = MARGIN_L, 78.0
    right_x = MARGIN_L + 80.0
    right_w = CONTENT_W - 80.0
    if dist:
        pdf.set_xy(left_x, top)
        pdf.set_font(FONT_FAMILY, "BI", 10.5)
        pdf.cell(left_w, 5.5, "Nơi nhận:", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT_FAMILY, "", 8.5)
        for d in dist:
            pdf.set_x(left_x)
            pdf.multi_cell(left_w, 4.3, nfc(f"- {d}"), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    box = None
    if sig:
        pdf.set_xy(right_x, top)
        for line in cap_lines:
            _centered(pdf, right_x, right_w, line, "B", 10.5, 5.5)
        y_sig = pdf.get_y() + 1
        w_box = 62.0
        x_box = right_x + (right_w - w_box) / 2
        h_box = sig_space - 4
        box = SignatureBox(
            page=pdf.page_no() - 1,
            rect=(
                round(x_box * MM_TO_PT),
                round((PAGE_H - y_sig - h_box) * MM_TO_PT),
                round((x_box + w_box) * MM_TO_PT),
                round((PAGE_H - y_sig) * MM_TO_PT),
            ),
        )
        pdf.set_y(y_sig + sig_space)
        if sig.name:
            _centered(pdf, right_x, right_w, sig.name, "B", 11, 6)
    return box


def _layout(doc: OfficialDocument, measure: bool = False) -> tuple[_Pdf, SignatureBox | None]:
    pdf = _new_pdf(doc, measure)
    _header(pdf, doc)
    for block in doc.body:
        if isinstance(block, Heading):
            _heading(pdf, block)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, ItemList):
            _item_list(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
        else:  # pragma: no cover
            raise TypeError(f"unknown block {block!r}")
    box = _closing(pdf, doc)
    return pdf, box


def page_count(doc: OfficialDocument) -> int:
    """Number of pages ``doc`` lays out to (no PDF is serialised)."""
    pdf, _ = _layout(doc, measure=True)
    return pdf.page_no()


def render(doc: OfficialDocument) -> RenderedDocument:
    """Render ``doc`` to PDF bytes; also return the page count and the signature box
    (the blank space in the signatory block, for a visible signature)."""
    pdf, box = _layout(doc)
    data = bytes(pdf.output())
    return RenderedDocument(pdf=data, pages=pdf.page_no(), signature_box=box)


def write(doc: OfficialDocument, path: str | os.PathLike) -> RenderedDocument:
    """Render ``doc`` and write it to ``path``."""
    r = render(doc)
    Path(path).write_bytes(r.pdf)
    return r


FillerGroup = Union[Block, Sequence[Block], Callable[[int], Union[Block, Sequence[Block]]]]


def fit_to_pages(
    doc: OfficialDocument,
    pages: int,
    filler: Iterable[FillerGroup],
    position: int | None = None,
) -> OfficialDocument:
    """Return a copy of ``doc`` with the longest prefix of ``filler`` inserted at
    ``position`` (default: end of the body) that lays it out to exactly ``pages``
    pages, so the last page is filled as far as it goes. Each filler element is a
    block, a group of blocks kept together (e.g. a heading with its paragraphs), or a
    callable that gets its 0-based index and returns one (for gapless numbering).
    Raises ValueError if the document is already longer, or if no prefix fits
    (the filler runs out, or one group jumps over the target)."""
    pos = len(doc.body) if position is None else position
    return fit_to_pages_multi(doc, pages, [(pos, filler)])


def fit_to_pages_multi(
    doc: OfficialDocument,
    pages: int,
    phases: Sequence[tuple[int, Iterable[FillerGroup]]],
) -> OfficialDocument:
    """Like :func:`fit_to_pages` with several insertion points: ``phases`` is a list of
    (position in ``doc.body``, filler). Groups are taken round-robin from the phases,
    so the growth spreads over the sections of the document."""
    base = list(doc.body)
    order: list[tuple[int, list[Block]]] = []  # (phase index, blocks)
    resolved: list[list[list[Block]]] = []
    for _, filler in phases:
        groups = []
        for i, g in enumerate(filler):
            if callable(g):
                g = g(i)
            groups.append(list(g) if isinstance(g, (list, tuple)) else [g])
        resolved.append(groups)
    longest = max((len(g) for g in resolved), default=0)
    for i in range(longest):
        for ph, groups in enumerate(resolved):
            if i < len(groups):
                order.append((ph, groups[i]))

    cache: dict[int, int] = {}

    def build(k: int) -> OfficialDocument:
        extra: dict[int, list[Block]] = {}
        for ph, blocks in order[:k]:
            extra.setdefault(ph, []).extend(blocks)
        body: list[Block] = []
        cuts = sorted(range(len(phases)), key=lambda ph: phases[ph][0])
        prev = 0
        for ph in cuts:
            p = phases[ph][0]
            body += base[prev:p] + extra.get(ph, [])
            prev = p
        body += base[prev:]
        return dataclasses.replace(doc, body=body)

    def count(k: int) -> int:
        if k not in cache:
            cache[k] = page_count(build(k))
        return cache[k]

    if count(0) > pages:
        raise ValueError(f"document already has {count(0)} pages > {pages}")
    # Largest k with count(k) <= pages (page count grows with k): gallop, then bisect.
    n = len(order)
    lo, step = 0, 1
    while lo + step <= n and count(lo + step) <= pages:
        lo += step
        step *= 2
    hi = min(lo + step, n + 1)  # count(hi) > pages, or hi is past the end
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid <= n and count(mid) <= pages:
            lo = mid
        else:
            hi = mid
    if count(lo) != pages:
        raise ValueError(f"cannot reach exactly {pages} pages (best prefix: {count(lo)} pages)")
    return build(lo)
