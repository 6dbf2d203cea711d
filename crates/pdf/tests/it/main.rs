//! Integration tests of the PDF engine against real PDFium and pyHanko-signed fixtures.
