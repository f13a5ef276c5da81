"""Reading the fields Chinese news pages print: dates, bylines, editor lines, sources.

Pages reach us in simplified or traditional script, sometimes with pinyin inserted by a clone
(`責(zé)編`), so keyword patterns are built by `kw()` to accept either script and an optional
annotation after every character. Names are returned as the page prints them: normalization
(a later stage) converts script and removes annotations.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import cache

SHANGHAI = timezone(timedelta(hours=8))

HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
# A clone's pinyin annotation after a character: (qū), (biāo), (zhe).
PY = r"(?:\([a-zA-Z\u00c0-\u024f\u0300-\u036f]{1,8}\))?"
NAME = rf"(?:{HAN}{PY}){{2,4}}"
_NAME_FULL = re.compile(rf"(?:{HAN}{PY}){{2,4}}|(?:{HAN}{PY}){{1,3}}·(?:{HAN}{PY}){{1,4}}")


@cache
def _variants(char: str) -> str:
    """The character and its traditional forms (OpenCC, one character at a time)."""
    import opencc

    forms = {char}
    for config in ("s2t", "s2tw", "s2hk"):
        converted = _converter(config).convert(char)
        if len(converted) == 1:
            forms.add(converted)
    _ = opencc  # imported for _converter
    return "".join(sorted(forms))


@cache
def _converter(config: str):  # noqa: ANN202 - opencc has no type hints
    import opencc

    return opencc.OpenCC(config)


@cache
def kw(word: str) -> str:
    """Regex source matching `word` in either script, with optional pinyin after each character."""
    parts = []
    for char in word:
        if re.match(HAN, char):
            forms = _variants(char)
            parts.append((f"[{forms}]" if len(forms) > 1 else forms) + PY)
        elif char == " ":
            parts.append(r"\s*")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def any_kw(*words: str) -> str:
    return "(?:" + "|".join(kw(w) for w in sorted(words, key=len, reverse=True)) + ")"


COLON = r"\s*[:：]?\s*"
# No one-character roles (文, 摄): they are also the middle of names (徐文亮).
AUTHOR_ROLES = ("本报记者", "本报通讯员", "特约记者", "见习记者", "实习记者", "记者", "通讯员",
                "实习生", "特约通讯员", "作者", "撰文", "文/图", "摄影")
EDITOR_ROLES = ("责任编辑", "责编", "编辑", "初审", "复审", "终审", "审核", "审校", "校对", "美编",
                "值班编辑", "主编", "监制", "编审", "统筹")
_AUTHOR_ROLE = any_kw(*AUTHOR_ROLES)
_EDITOR_ROLE = any_kw(*EDITOR_ROLES)
_SOURCE = re.compile(any_kw("来源", "稿源", "出处") + r"\s*[:：]\s*([^\s|｜　]*)")
# Parentheses are not separators: they hold a clone's pinyin inside a name (張發(fā)平).
_SEP = re.compile(r"[\s　、，,;；/|｜【】\[\]▍■●◆]+")
# A role and what separates it from the names: a colon, or at least a space.
_ROLE_SEP = r"(?:\s*[:：]\s*|\s+)"
# Names after a role, stopping before the next role (`责编:汤宁 初审:孙继奎`).
_NAMES = rf"((?:(?!{_EDITOR_ROLE}|{_AUTHOR_ROLE}){NAME}[\s　、，,]*)+)"


def clean_name_tokens(text: str, drop: tuple[str, ...] = ()) -> list[str]:
    """Names in a byline's text, after roles, outlets (`drop`) and separators are taken out."""
    for outlet in drop:
        text = re.sub(kw(outlet), " ", text)
    text = re.sub(_AUTHOR_ROLE + "|" + _EDITOR_ROLE, " ", text)
    names = []
    for token in _SEP.split(text):
        token = token.strip(":：.。")
        if token and _NAME_FULL.fullmatch(token):
            names.append(token)
    return names


def byline_names(line: str, outlets: tuple[str, ...] = ()) -> list[str] | None:
    """The authors if `line` is a byline and nothing else, else None.

    A byline names its people with roles (`记者 张申尚`, `通讯员 陈静 记者 李东华`), optionally
    behind an outlet (`市场星报、安徽财经网记者 李刚`); a parenthesized line of bare names
    (`(徐文亮)`) counts too: it is how Chinese papers sign short reports.
    """
    text = line.strip().strip("▍■ ")
    inner = re.fullmatch(r"[(（](.+)[)）]", text)
    body = inner.group(1) if inner else text
    if len(body) > 60 or re.search(_EDITOR_ROLE + COLON, body) or re.search(r"[。！？!?]", body):
        return None
    has_role = re.search(_AUTHOR_ROLE, body) is not None
    for outlet in outlets:
        body = re.sub(kw(outlet), " ", body)
    leftover = re.sub(_AUTHOR_ROLE, " ", body)
    tokens = [t.strip(":：.") for t in _SEP.split(leftover) if t.strip(":：.")]
    if not tokens or not all(_NAME_FULL.fullmatch(t) for t in tokens):
        return None
    if not (has_role or inner):
        return None
    return tokens


def trailing_byline(paragraph: str, outlets: tuple[str, ...] = ()) -> tuple[str, list[str]] | None:
    """Split `……大门。(记者 李东华)` into the paragraph and its authors, if it ends that way."""
    # The parenthesized tail may hold a clone's annotations: (徐文(wén)亮).
    match = re.search(r"[(（]((?:[^()（）]|\([a-zA-Z\u00c0-\u024f]{1,8}\)){2,80})[)）]\s*$", paragraph)
    if not match:
        return None
    names = byline_names(match.group(0), outlets)
    if names is None:
        return None
    return paragraph[: match.start()].rstrip(), names


def editor_names(line: str) -> list[str] | None:
    """The editors if `line` is an editor line (`(责编:汤宁 初审:孙继奎)`, `▍编辑：安妮`)."""
    text = line.strip().strip("▍■ ")
    inner = re.fullmatch(r"[(（](.+)[)）]", text)
    body = inner.group(1) if inner else text
    if len(body) > 80 or not re.match(r"\s*" + _EDITOR_ROLE + _ROLE_SEP, body):
        return None
    names = find_editors(body)
    rest = re.sub(_EDITOR_ROLE + _ROLE_SEP + _NAMES, "", body).strip()
    return names if names and not rest else None


def find_editors(text: str) -> list[str]:
    """Editor names anywhere in `text` (an info line: `来源: 编辑:张发平`)."""
    names = []
    for match in re.finditer(_EDITOR_ROLE + _ROLE_SEP + _NAMES, text):
        names += [n for n in _SEP.split(match.group(1)) if n and _NAME_FULL.fullmatch(n)]
    return list(dict.fromkeys(names))


def role_line(line: str, role: str) -> str | None:
    """The value of a `▍来源：安徽日报` style line for `role`, else None."""
    match = re.fullmatch(r"[▍■\s]*" + kw(role) + r"\s*[:：]\s*(.+?)\s*", line)
    return match.group(1) if match else None


# A `来源：` field's value, for templates that point at the element holding it.
SOURCE_FIELD = kw("来源") + r"\s*[:：]\s*([^\s　|｜]*)"
_DATELINE = re.compile(r"^(.{2,30}?)(?:[(（][^()（）]{1,40}[)）])?\s*" + kw("讯") + r"(?=\s|$|[：:])")


def dateline_source(first_line: str) -> str | None:
    """The outlet of a dateline (`市场星报、安徽财经网(m.xomn.cn)讯`); None for `本报讯`."""
    match = _DATELINE.match(first_line.strip())
    if not match:
        return None
    outlet = match.group(1).strip()
    return None if re.fullmatch(kw("本报") + r"|" + kw("本台") + r"|" + kw("本网"), outlet) else outlet


def find_source(text: str) -> str | None:
    """The outlet a `来源：` field names; None where the field is absent or empty."""
    match = _SOURCE.search(text)
    if not match:
        return None
    value = match.group(1).strip()
    if not value or re.match(_EDITOR_ROLE + "|" + _AUTHOR_ROLE, value):
        return None
    return value


# --- dates ---------------------------------------------------------------------------------

_DATE_PATTERNS = [
    re.compile(r"(?P<y>(?:19|20)\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
               r"(?:[T\s　]+(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?(?:\.\d+)?"
               r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"),
    re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
               r"(?:\s*(?:星期.|周.)?\s*(?P<H>\d{1,2})[:：时](?P<M>\d{2})(?:[:：分](?P<S>\d{2}))?)?"),
]
_RFC1123 = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|[+-]\d{4})")


def _valid(y: int, m: int, d: int) -> bool:
    try:
        datetime(y, m, d)
    except ValueError:
        return False
    return 1990 <= y <= 2100


def find_datetime(text: str) -> str | None:
    """The first date (and time) printed in `text`, as ISO 8601.

    Local times are Asia/Shanghai (+08:00); a date without a time is returned as YYYY-MM-DD,
    since inventing midnight would be a claim the page does not make.
    """
    if not text:
        return None
    rfc = _RFC1123.search(text)
    best: tuple[int, str] | None = None
    if rfc:
        best = (rfc.start(), parsedate_to_datetime(rfc.group(0)).isoformat())
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
            if not _valid(y, m, d):
                continue
            if best and best[0] <= match.start():
                break
            if match["H"] is None:
                value = f"{y:04d}-{m:02d}-{d:02d}"
            else:
                hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
                if hour > 23 or minute > 59 or second > 59:
                    continue
                tz = SHANGHAI
                if match.groupdict().get("tz"):
                    raw = match["tz"]
                    if raw == "Z":
                        tz = UTC
                    else:
                        sign = 1 if raw[0] == "+" else -1
                        hh, mm = int(raw[1:3]), int(raw[-2:])
                        tz = timezone(sign * timedelta(hours=hh, minutes=mm))
                value = datetime(y, m, d, hour, minute, second, tzinfo=tz).isoformat()
            best = (match.start(), value)
            break
    return best[1] if best else None
