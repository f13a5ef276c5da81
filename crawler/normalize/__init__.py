"""Text normalization: any extracted text in, canonical simplified text out.

Pure functions, no Scrapy. See docs/architecture.md, "Canonical text".

- ``normalize_text(text) -> str``: the contract.
- ``normalize_with_report(text) -> (str, report)``: the same text, and what
  changed: counts ``pinyin_removed``, ``chars_converted``, ``punctuation_fixed``,
  ``width_folded``, ``paragraphs_joined``, ``mojibake_repaired``,
  ``control_removed``, and ``flags``, a sorted list drawn from ``stray_pinyin``,
  ``mojibake:??``, ``mojibake:U+FFFD``, ``mojibake:utf8-as-gbk``,
  ``mojibake:gbk-as-utf8``, ``mojibake:gbk-as-latin1``, ``lone_surrogate``,
  ``control_chars``.
- ``normalize_record(record) -> record``: a new article record with title,
  subtitle, body, source, authors, editors, section and image captions normalized,
  ``original`` {title, body} as extracted and ``normalization`` the merged
  report. Other keys pass through; the input is not modified.
"""

from crawler.normalize.core import normalize_record, normalize_text, normalize_with_report

__all__ = ["normalize_record", "normalize_text", "normalize_with_report"]
