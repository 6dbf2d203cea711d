"""Sign PDFs with pyHanko (PAdES / adbe.pkcs7.detached), validate them, and helpers
for making broken fixtures.

- :func:`sign_pdf` adds one signature as an incremental update, so calling it on an
  already signed file adds a second signature and leaves the first one intact.
- :func:`validate_pdf` validates every signature against given trust roots.
- :func:`signature_ranges` tells where each signature's /Contents hex string is,
  for fixtures that corrupt the CMS or flip a signed byte.
- :func:`append_incremental_update` appends a non-signature revision (modified after
  signing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence, Union
from zoneinfo import ZoneInfo

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers.pdf_signer import PdfSigner, PdfSignatureMetadata
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .pki import Identity

PADES = "ETSI.CAdES.detached"
PKCS7 = "adbe.pkcs7.detached"
DEFAULT_REASON = "Phê duyệt tài liệu họp"
DEFAULT_LOCATION = "Đồng Hới, Quảng Bình"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

PdfInput = Union[bytes, str, Path]


def _read(pdf: PdfInput) -> bytes:
    return pdf if isinstance(pdf, (bytes, bytearray)) else Path(pdf).read_bytes()


# ------------------------------------------------------------------ conversions


def asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_signer(identity: Identity, *, prefer_pss: bool = False, embed_roots: bool = True) -> signers.SimpleSigner:
    """A pyHanko SimpleSigner for ``identity``, carrying its whole chain."""
    chain = [asn1_cert(c) for c in identity.chain[1:]]
    return signers.SimpleSigner(
        signing_cert=asn1_cert(identity.cert),
        signing_key=asn1_key(identity.key),
        cert_registry=SimpleCertificateStore.from_certs(chain),
        prefer_pss=prefer_pss,
        embed_roots=embed_roots,
    )


# ------------------------------------------------------------- visible stamp


@dataclass
class VisibleSignature:
    """A visible signature widget: 0-based ``page`` (negative counts from the end),
    ``box`` = (x1, y1, x2, y2) in PDF points from the bottom-left corner, and the text
    ``lines`` to draw (default: signer, organisation, time)."""

    page: int
    box: tuple[int, int, int, int]
    lines: Sequence[str] | None = None


def default_stamp_lines(identity: Identity, signing_time: dt.datetime) -> list[str]:
    from cryptography.x509.oid import NameOID

    orgs = identity.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    t = signing_time.astimezone(LOCAL_TZ)
    lines = [f"Ký bởi: {identity.common_name}"]
    if orgs:
        lines.append(f"Cơ quan: {orgs[0].value}")
    lines.append(f"Thời gian ký: {t:%d/%m/%Y %H:%M:%S} +07:00")
    return lines


def _stamp_pdf(path: Path, width_pt: float, height_pt: float, lines: Sequence[str]) -> None:
    """A one-page PDF of the stamp's size with the text, made with fpdf2 (pyHanko's own
    text stamps need HarfBuzz for non-Latin text; an imported page does not)."""
    from fpdf import FPDF

    from .vnpdf import FONT_DIR, nfc

    pdf = FPDF(unit="pt", format=(width_pt, height_pt))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    red = (200, 16, 16)
    pdf.set_draw_color(*red)
    pdf.set_text_color(*red)
    pdf.set_line_width(1.0)
    pdf.rect(1, 1, width_pt - 2, height_pt - 2)
    pad = 5.0
    n = max(1, len(lines))
    size = min(8.5, (height_pt - 2 * pad) / (n * 1.3))
    lh = size * 1.3
    y = (height_pt - n * lh) / 2
    for i, line in enumerate(lines):
        text = nfc(line)
        style = "B" if i == 0 else ""
        s = size
        pdf.set_font("DejaVu", style, s)
        while pdf.get_string_width(text) > width_pt - 2 * pad and s > 4:
            s -= 0.25
            pdf.set_font("DejaVu", style, s)
        pdf.set_xy(pad, y)
        pdf.cell(width_pt - 2 * pad, lh, text, align="C")
        y += lh
    pdf.output(str(path))


# ------------------------------------------------------------------- signing


class _TimedPdfSigner(PdfSigner):
    """PdfSigner that uses a given signing time (PdfSigner always takes 'now')."""

    def __init__(self, *args, signing_time: dt.datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        if self._signing_time is not None:
            session.system_time = self._signing_time
        return session


def _next_field_name(data: bytes) -> str:
    r = PdfFileReader(io.BytesIO(data), strict=False)
    taken = {name for name, _, _ in fields.enumerate_sig_fields(r)}
    i = 1
    while f"Signature{i}" in taken:
        i += 1
    return f"Signature{i}"


def sign_pdf(
    pdf: PdfInput,
    identity: Identity,
    *,
    subfilter: str = PADES,
    field_name: str | None = None,
    reason: str | None = DEFAULT_REASON,
    location: str | None = DEFAULT_LOCATION,
    name: str | None = None,
    contact_info: str | None = None,
    signing_time: dt.datetime | None = None,
    visible: VisibleSignature | None = None,
    md_algorithm: str = "sha256",
    prefer_pss: bool = False,
    output: str | Path | None = None,
) -> bytes:
    """Sign ``pdf`` (bytes or a path) as ``identity`` and return the signed bytes
    (also written to ``output`` if given).

    ``subfilter`` is :data:`PADES` ("ETSI.CAdES.detached") or :data:`PKCS7`
    ("adbe.pkcs7.detached"). ``field_name`` defaults to the first free
    "SignatureN"; an existing empty field of that name is filled. ``name`` defaults to
    the certificate's CN. ``signing_time`` (aware datetime; default now) goes into
    /M and, for PKCS7, the CMS signing-time attribute. ``prefer_pss`` signs with
    RSA-PSS instead of PKCS#1 v1.5 (RSA identities only). ``visible`` makes a visible
    widget; otherwise the field is invisible. The signature is appended as an
    incremental update, so signing a signed file adds a second signature.
    """
    data = _read(pdf)
    if signing_time is not None and signing_time.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    if subfilter in (PADES, "pades"):
        sf = SigSeedSubFilter.PADES
    elif subfilter in (PKCS7, "pkcs7"):
        sf = SigSeedSubFilter.ADOBE_PKCS7_DETACHED
    else:
        raise ValueError(f"unknown subfilter {subfilter!r}")
    field_name = field_name or _next_field_name(data)
    when = signing_time or dt.datetime.now(LOCAL_TZ)

    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md_algorithm,
        subfilter=sf,
        reason=reason,
        location=location,
        name=name or identity.common_name,
        contact_info=contact_info,
    )
    with tempfile.TemporaryDirectory(prefix="pdfkit-stamp-") as tmp:
        if visible is not None:
            x1, y1, x2, y2 = visible.box
            stamp_file = Path(tmp) / "stamp.pdf"
            _stamp_pdf(stamp_file, x2 - x1, y2 - y1, visible.lines or default_stamp_lines(identity, when))
            style = StaticStampStyle.from_pdf_file(
                str(stamp_file),
                border_width=0,
                background_opacity=1.0,
                background_layout=SimpleBoxLayoutRule(
                    x_align=AxisAlignment.ALIGN_MID,
                    y_align=AxisAlignment.ALIGN_MID,
                    margins=Margins.uniform(0),
                ),
            )
            field_spec = SigFieldSpec(sig_field_name=field_name, on_page=visible.page, box=visible.box)
        else:
            style = None
            field_spec = SigFieldSpec(sig_field_name=field_name)

        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        signer = _TimedPdfSigner(
            meta,
            signer=make_signer(identity, prefer_pss=prefer_pss),
            stamp_style=style,
            new_field_spec=field_spec,
            signing_time=when,
        )
        out = signer.sign_pdf(writer)
        result = out.getvalue()
    if output is not None:
        Path(output).write_bytes(result)
    return result


# ----------------------------------------------------------------- inspection


@dataclass
class SignatureInfo:
    field_name: str
    subfilter: str
    byte_range: tuple[int, int, int, int]
    contents_range: tuple[int, int]  # [start, end) of the /Contents hex string incl. < >
    signer_name: str | None
    signing_time: dt.datetime | None
    reason: str | None
    location: str | None


def signature_ranges(pdf: PdfInput) -> list[SignatureInfo]:
    """Every signature in ``pdf`` with its /ByteRange and where the /Contents hex string
    sits: flip a byte outside ``contents_range`` to break the digest, or overwrite
    hex digits inside it to corrupt the CMS."""
    data = _read(pdf)
    r = PdfFileReader(io.BytesIO(data), strict=False)
    out = []
    for sig in r.embedded_signatures:
        so = sig.sig_object
        br = tuple(int(x) for x in so["/ByteRange"])
        m = so.get("/M")
        out.append(
            SignatureInfo(
                field_name=sig.field_name,
                subfilter=str(so.get("/SubFilter", "")).lstrip("/"),
                byte_range=br,  # type: ignore[arg-type]
                contents_range=(br[0] + br[1], br[2]),
                signer_name=str(so["/Name"]) if "/Name" in so else None,
                signing_time=generic.parse_pdf_date(m) if m else None,
                reason=str(so["/Reason"]) if "/Reason" in so else None,
                location=str(so["/Location"]) if "/Location" in so else None,
            )
        )
    return out


@dataclass
class SignatureCheck:
    field_name: str
    signer: str  # signing certificate subject CN
    organization: str | None
    subfilter: str
    signing_time: dt.datetime | None  # as claimed by the signer
    intact: bool  # document digest matches and the CMS signature verifies
    valid: bool  # cryptographically valid
    trusted: bool  # the certificate chains to a given trust root and is valid now
    coverage: str  # e.g. "ENTIRE_FILE", "ENTIRE_REVISION"
    modification_level: str | None  # e.g. "NONE", "FORM_FILLING", "OTHER"
    bottom_line: bool
    summary: str


def validate_pdf(
    pdf: PdfInput,
    trust_roots: Iterable[x509.Certificate | str | Path],
    *,
    at: dt.datetime | None = None,
) -> list[SignatureCheck]:
    """Validate every signature in ``pdf`` against ``trust_roots`` (certificates or PEM
    file paths; no revocation fetching). ``at`` validates at another time than now."""
    roots = []
    for t in trust_roots:
        if isinstance(t, (str, Path)):
            pem = Path(t).read_bytes()
            for block in pem.split(b"-----END CERTIFICATE-----"):
                if b"-----BEGIN CERTIFICATE-----" in block:
                    roots.append(
                        asn1_cert(x509.load_pem_x509_certificate(block + b"-----END CERTIFICATE-----\n"))
                    )
        else:
            roots.append(asn1_cert(t))
    data = _read(pdf)
    r = PdfFileReader(io.BytesIO(data), strict=False)
    out = []
    for sig in r.embedded_signatures:
        vc = ValidationContext(trust_roots=roots, allow_fetching=False, moment=at)
        st = validate_pdf_signature(sig, vc)
        subject = st.signing_cert.subject.native
        out.append(
            SignatureCheck(
                field_name=sig.field_name,
                signer=subject.get("common_name", ""),
                organization=subject.get("organization_name"),
                subfilter=str(sig.sig_object.get("/SubFilter", "")).lstrip("/"),
                signing_time=st.signer_reported_dt,
                intact=st.intact,
                valid=st.valid,
                trusted=st.trusted,
                coverage=st.coverage.name if st.coverage else "",
                modification_level=st.modification_level.name if st.modification_level else None,
                bottom_line=st.bottom_line,
                summary=st.summary(),
            )
        )
    return out


# ---------------------------------------------------------- fixture helpers


def append_incremental_update(pdf: PdfInput, *, mode: str = "content", text: str = "MODIFIED AFTER SIGNING") -> bytes:
    """Append a non-signature revision to ``pdf``:

    - ``mode="content"``: draw ``text`` (ASCII, Helvetica) on the first page through a
      new content stream — a change validators must report as a modification;
    - ``mode="info"``: only change the document-information /Title.
    """
    data = _read(pdf)
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    if mode == "content":
        font = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
            }
        )
        safe = text.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
        stream = generic.StreamObject(stream_data=b"BT /PdfKitF1 14 Tf 1 0 0 rg 60 60 Td (" + safe + b") Tj ET")
        ref = w.add_object(stream)
        resources = generic.DictionaryObject(
            {generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/PdfKitF1"): font})}
        )
        w.add_stream_to_page(0, ref, resources=resources)
    elif mode == "info":
        info_ref = w.trailer.raw_get("/Info") if "/Info" in w.trailer else None
        if isinstance(info_ref, generic.IndirectObject):
            info_ref.get_object()[generic.NameObject("/Title")] = generic.TextStringObject(text)
            w.mark_update(info_ref)
        else:
            info = generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject(text)})
            w.set_info(w.add_object(info))
    else:
        raise ValueError(f"unknown mode {mode!r}")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def flip_byte(pdf: PdfInput, offset: int | None = None) -> bytes:
    """Flip one signed byte so every signature's digest no longer matches while the
    file still parses. Default: change the case of a letter in the /Producer string
    (inside the first signed range); or XOR the byte at ``offset`` with 0x01."""
    data = bytearray(_read(pdf))
    if offset is None:
        sigs = signature_ranges(bytes(data))
        limit = sigs[0].contents_range[0] if sigs else len(data)
        for key in (b"/Producer (", b"/Title (", b"/Creator ("):
            i = data.find(key)
            if 0 <= i < limit:
                j = i + len(key)
                while j < limit and not chr(data[j]).isalpha():
                    j += 1
                if j < limit:
                    data[j] ^= 0x20  # ASCII case flip
                    return bytes(data)
        offset = limit // 2
    data[offset] ^= 0x01
    return bytes(data)


def corrupt_cms(pdf: PdfInput, *, index: int = 0, mode: str = "signature") -> bytes:
    """Damage the CMS object of signature ``index`` inside /Contents (same length, so
    the byte ranges stay right):

    - ``mode="signature"``: flip a byte of the signature value at the end of the DER
      (the digest still matches; the signature does not verify);
    - ``mode="garbage"``: overwrite the start of the DER so it does not parse.
    """
    data = bytearray(_read(pdf))
    info = signature_ranges(bytes(data))[index]
    start, end = info.contents_range  # '<' ... '>'
    hex_start = start + 1
    if mode == "garbage":
        data[hex_start : hex_start + 16] = b"DEADBEEF" * 2
        return bytes(data)
    if mode != "signature":
        raise ValueError(f"unknown mode {mode!r}")
    der = bytes.fromhex(bytes(data[hex_start : end - 1]).decode("ascii"))
    # DER length of the outer SEQUENCE: 30 82 LL LL (or 30 83 LL LL LL)
    if der[1] & 0x80:
        n = der[1] & 0x7F
        total = 2 + n + int.from_bytes(der[2 : 2 + n], "big")
    else:
        total = 2 + der[1]
    pos = total - 8  # inside the SignerInfo's signature OCTET STRING (no unsigned attrs)
    hex_pos = hex_start + 2 * pos
    data[hex_pos] = ord("0") if data[hex_pos] != ord("0") else ord("1")
    return bytes(data)
