"""White space and paragraphs: one paragraph a line, print-column breaks re-joined.

E-paper text (滁州日报, capture 004) breaks paragraphs where the print column
broke (不可失防 / 万一, 复 / 工复产) and puts photo captions between the halves
of a paragraph that ends in a comma. A line is joined to the next only when it
cannot be a paragraph of its own: it ends in a comma, or it is a long line with
sentence punctuation that stops on a character. Headings, captions, bylines and
titles are short and carry no sentence punctuation, so they are never joined.
"""

from __future__ import annotations

import re

from crawler.normalize.report import Report
from crawler.text import HAN

_NEWLINES_RE = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES_RE = re.compile(r"[^\S\n]+")
_LINE_EDGES_RE = re.compile(r" ?\n[ \n]*")

# A long line with sentence punctuation that stops on a character or digit was
# cut by the print column.
_MIN_BROKEN_LEN = 30
_MAX_CAPTION_LEN = 30
_MAX_CAPTIONS = 3
_SENTENCE_PUNCT = re.compile("[，。；：！？、,;:!?]")
# Running prose has commas or full stops; a metadata line (来源: 编辑:) has not.
_PROSE_PUNCT = re.compile("[，。；,;]")
_COMMA_END = "，,、"
_WORD_END_RE = re.compile(f"[{HAN}0-9]$")
# A line can only be joined to the next when it ends like this (see join_paragraphs);
# the newline first, so the scan skips ahead at C speed.
_JOINABLE_END_RE = re.compile(f"\n(?<=[{HAN}0-9{_COMMA_END}]\n)")
# A continuation starts like running text: a character, digit or opening quote.
_CONT_START_RE = re.compile(f"[{HAN}0-9“‘]")


# White space other than " " and "\n" (tabs, U+3000, NBSP, line separators...).
_ODD_SPACE_RE = re.compile(
    "[\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def _needs_collapse(text: str) -> bool:
    # Substring tests run at memchr speed; the combined regex would cost ~30 ns a char.
    return (
        "  " in text
        or " \n" in text
        or "\n " in text
        or "\n\n" in text
        or text[:1] in " \n"
        or text[-1:] in " \n"
        or _ODD_SPACE_RE.search(text) is not None
    )


def collapse_whitespace(text: str) -> str:
    """One space for any run of spaces; lines trimmed; no empty lines."""
    if not _needs_collapse(text):
        return text
    text = _NEWLINES_RE.sub("\n", text)
    text = _SPACES_RE.sub(" ", text)
    text = _LINE_EDGES_RE.sub("\n", text)
    return text.strip(" \n")


def _ends_in_comma(line: str) -> bool:
    return line[-1] in _COMMA_END


def _broken_mid_sentence(line: str) -> bool:
    return (
        len(line) >= _MIN_BROKEN_LEN
        and _WORD_END_RE.match(line, len(line) - 1) is not None  # lines hold no "\n"
        and _PROSE_PUNCT.search(line) is not None
    )


def _is_caption_like(line: str) -> bool:
    return len(line) <= _MAX_CAPTION_LEN and _SENTENCE_PUNCT.search(line) is None


def _continues(line: str) -> bool:
    return _CONT_START_RE.match(line) is not None and not _is_caption_like(line)


def join_paragraphs(lines: list[str], report: Report) -> list[str]:
    """Re-join paragraphs the print column broke; captions in between move after them."""
    out: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        current = lines[i]
        moved: list[str] = []
        i += 1
        while i < n:
            nxt = lines[i]
            if _broken_mid_sentence(current) and _continues(nxt):
                current += nxt
                i += 1
            elif _ends_in_comma(current):
                # Skip up to three caption-like lines to the continuation.
                k = i
                while k < n and k - i < _MAX_CAPTIONS and _is_caption_like(lines[k]):
                    k += 1
                if k < n and _continues(lines[k]) and not (k > i and not _captions_ok(lines[i:k])):
                    moved.extend(lines[i:k])
                    current += lines[k]
                    i = k + 1
                else:
                    break
            else:
                break
            report.count("paragraphs_joined")
        out.append(current)
        out.extend(moved)
    return out


def _captions_ok(lines: list[str]) -> bool:
    # Headings (■ 精准防控) mark a new section: never reach across one.
    return all(_CONT_START_RE.match(line) or line[0].isalnum() for line in lines)


def tidy(text: str, report: Report) -> str:
    """Collapse white space and re-join broken paragraphs."""
    text = collapse_whitespace(text)
    if "\n" not in text or _JOINABLE_END_RE.search(text) is None:
        return text  # nothing to join
    return "\n".join(join_paragraphs(text.split("\n"), report))
