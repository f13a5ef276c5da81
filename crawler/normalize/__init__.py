"""Text normalization: any extracted text in, canonical simplified text out.

Pure functions, no Scrapy. See DESIGN.md, "Canonical text".
"""

from crawler.normalize.core import normalize_record, normalize_text, normalize_with_report

__all__ = ["normalize_record", "normalize_text", "normalize_with_report"]
