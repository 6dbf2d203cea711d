"""The reference side of `cargo xtask bench render`: pypdfium2 rendering the same pages
the same way (BGRA with reversed byte order = RGBA, copied out of PDFium's buffer).

Usage: bench_render_reference.py PDF DPI ROUNDS  → one JSON line.
"""

import json
import statistics
import sys
import time

import pypdfium2 as pdfium
import pypdfium2.raw as raw


def main() -> None:
    path, dpi, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    pdf = pdfium.PdfDocument(path)
    scale = dpi / 72.0
    render = dict(scale=scale, rev_byteorder=True, force_bitmap_format=raw.FPDFBitmap_BGRA,
                  may_draw_forms=True)
    page = pdf[0]
    page.render(**render)
    page.close()
    times = []
    size = (0, 0)
    for _ in range(rounds):
        for i in range(len(pdf)):
            t = time.perf_counter()
            page = pdf[i]
            bitmap = page.render(**render)
            data = bytes(bitmap.buffer)
            size = (bitmap.width, bitmap.height)
            bitmap.close()
            page.close()
            times.append((time.perf_counter() - t) * 1000.0)
            assert len(data) == size[0] * size[1] * 4
    print(json.dumps({"median_ms": statistics.median(times), "pages": len(times),
                      "width": size[0], "height": size[1],
                      "pdfium": pdfium.PDFIUM_INFO.build if hasattr(pdfium, "PDFIUM_INFO") else None}))


if __name__ == "__main__":
    main()
