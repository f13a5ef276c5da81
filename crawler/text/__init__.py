"""Text pieces every layer shares: Chinese character classes, keyword patterns that match in
either script (and through a clone's inserted pinyin), spam checks, the OpenCC converters.

The bottom layer: it imports nothing else of the crawler, so extraction, site declarations,
normalization and dedupe can all import it at the top of their modules.
"""

from crawler.text.chars import (
           CJK_BMP,
           CJK_CONTEXT,
           CJK_PUNCT,
           HAN,
           HAN_BMP,
           HAN_CLASS,
           HAN_RE,
           HAN_RUN_RE,
)
from crawler.text.convert import converter
from crawler.text.keywords import PY, SOURCE_FIELD, any_kw, kw
from crawler.text.spam import is_spam

__all__ = ["CJK_BMP", "CJK_CONTEXT", "CJK_PUNCT", "HAN", "HAN_BMP", "HAN_CLASS", "HAN_RE", "HAN_RUN_RE",
           "PY", "SOURCE_FIELD", "any_kw", "converter", "is_spam", "kw"]
