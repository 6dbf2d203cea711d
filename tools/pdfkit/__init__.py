"""pdfkit: demo/test PDFs for PhòngHọp — a small PKI (pki), Vietnamese
official-style documents (vnpdf) and pyHanko signing/validation (sign)."""

__all__ = ["pki", "vnpdf", "sign"]
