"""Concatenates the demo province's PDFs (Vietnamese A4 pages) until a document has
N pages: `make_big_pdf.py N OUT.pdf DEMO_DIR`. Uses pypdfium2 (PDFium's page import)."""

import pathlib
import sys

import pypdfium2 as pdfium


def main() -> None:
    n, out, demo = int(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    sources = sorted(demo.glob("*.pdf"))
    dst = pdfium.PdfDocument.new()
    while len(dst) < n:
        for src_path in sources:
            src = pdfium.PdfDocument(src_path)
            take = min(len(src), n - len(dst))
            dst.import_pages(src, list(range(take)))
            src.close()
            if len(dst) >= n:
                break
    dst.save(out)


if __name__ == "__main__":
    main()
