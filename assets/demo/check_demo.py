#!/usr/bin/env python3
"""Check the generated demo: every PDF in manifest.json opens, has the stated number
of pages, its text extracts with Vietnamese diacritics (poppler's pdftotext), and
pyHanko validates its signature as intact, valid and trusted against
trust/demo-root-ca.pem. Exits non-zero on any failure.

    $HOME/.cache/phonghop/venv/bin/python assets/demo/check_demo.py
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tools"))

from pdfkit import sign  # noqa: E402

MUST_CONTAIN = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Quảng Bình"]


def main() -> int:
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    province = json.loads((HERE / "province.json").read_text(encoding="utf-8"))
    trust = HERE / manifest["trust_root"]
    referenced = {d["file"] for m in province["meetings"] for it in m["items"] for d in it["documents"]}
    listed = {d["file"] for d in manifest["documents"]}
    on_disk = {p.name for p in HERE.glob("*.pdf")}
    failures = []
    if not (referenced == listed == on_disk):
        failures.append(f"file sets differ: province.json vs manifest vs disk: {referenced ^ on_disk} {listed ^ on_disk}")
    have_poppler = shutil.which("pdftotext") and shutil.which("pdfinfo")
    ok = 0
    for d in manifest["documents"]:
        path = HERE / d["file"]
        errs = []
        if have_poppler:
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
            pages = next((int(l.split()[-1]) for l in info.stdout.splitlines() if l.startswith("Pages:")), None)
            if info.returncode != 0 or pages != d["pages"]:
                errs.append(f"pages {pages} != {d['pages']}")
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
            for s in MUST_CONTAIN:
                if s not in text:
                    errs.append(f"text lacks {s!r}")
            if f"Trang {d['pages']}/{d['pages']}" not in text:
                errs.append("no page footer")
        checks = sign.validate_pdf(path, [trust])
        if len(checks) != 1:
            errs.append(f"{len(checks)} signatures")
        for c in checks:
            if not (c.intact and c.valid and c.trusted and c.bottom_line and c.coverage == "ENTIRE_FILE"):
                errs.append(f"signature: {c.summary} coverage={c.coverage}")
            if c.subfilter != d["signature"]["subfilter"]:
                errs.append(f"subfilter {c.subfilter}")
        if errs:
            failures.append(f"{d['file']}: {'; '.join(errs)}")
        else:
            ok += 1
    total = sum(p.stat().st_size for p in HERE.glob("*.pdf"))
    print(f"{ok}/{len(manifest['documents'])} documents OK, {total / 1e6:.2f} MB of PDFs")
    for f in failures:
        print("FAIL", f)
    if not have_poppler:
        print("note: pdftotext/pdfinfo not found (apt-get install poppler-utils); pages and text not checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
