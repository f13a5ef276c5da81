"""Reading the fields Chinese news pages print: dates, bylines, editor lines, sources.

Pages reach us in simplified or traditional script, sometimes with pinyin inserted by a clone
(`責(zé)編`), so keyword patterns are built with `crawler.text.kw` to accept either script and
an optional annotation after every character. Names are returned as the page prints them:
normalization (a later stage) converts script and removes annotations.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from crawler.text import HAN_CLASS, PY, any_kw, converter, kw

SHANGHAI = timezone(timedelta(hours=8))

# A clone's pinyin annotation after a character: (qū), (biāo), (zhe).
_ANNOTATION = r"\([a-zA-Z\u00c0-\u024f\u0300-\u036f]{1,8}\)"
NAME = rf"(?:{HAN_CLASS}{PY}){{2,4}}"
_NAME_FULL = re.compile(rf"(?:{HAN_CLASS}{PY}){{2,4}}|(?:{HAN_CLASS}{PY}){{1,3}}·(?:{HAN_CLASS}{PY}){{1,4}}")


COLON = r"\s*[:：]?\s*"
# No one-character roles (文, 摄): they are also the middle of names (徐文亮); `文/` with its
# slash is read apart (_SLASH_ROLE).
AUTHOR_ROLES = ("本报记者", "本报通讯员", "特约记者", "见习记者", "实习记者", "记者", "通讯员",
                "实习生", "特约通讯员", "作者", "撰文", "文/图", "摄影", "执笔人", "执笔", "撰稿",
                "撰稿人", "采写", "评论员", "编译", "发言人")
EDITOR_ROLES = ("责任编辑", "责编", "编辑", "初审", "复审", "终审", "审核", "审校", "校对", "美编",
                "值班编辑", "主编", "监制", "编审", "统筹")
_AUTHOR_ROLE = any_kw(*AUTHOR_ROLES)
_EDITOR_ROLE = any_kw(*EDITOR_ROLES)
_SOURCE = re.compile(any_kw("来源", "稿源", "出处") + r"\s*[:：]\s*[\[［【《]?\s*([^\s|｜　\]］】》]*)")
# Parentheses are not separators: they hold a clone's pinyin inside a name (張發(fā)平).
_SEP = re.compile(r"[\s　、，,;；/|｜【】\[\]▍■●◆]+")
# A role and what separates it from the names: a colon, or at least a space.
_ROLE_SEP = r"(?:\s*[:：/／]\s*|\s+)"
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


# What outlets, not people, are called: `光明日报`, `新华网黑龙江频道`, `新华社`, `本报`.
_OUTLET = re.compile(rf"(?:{HAN_CLASS}{PY}|[A-Za-z]){{0,14}}"
                     + any_kw("报", "网", "社", "台", "刊", "频道", "站", "客户端", "杂志", "周刊",
                              "新闻", "传媒", "集团", "在线", "卫视", "电视", "广播", "文摘", "本报",
                              "本台", "本网", "本刊", "本站"))
_BULLETS = "▍■□◇◆●○★☆▲△►▶· "
# A correspondent's place at the end of a byline: `彭冲 山东冠县报道`, `(姚峰 上海报道)`.
_REPORTED_FROM = re.compile(rf"\s+(?:{HAN_CLASS}{PY}){{0,10}}" + kw("报道") + r"$")


def is_outlet(token: str) -> bool:
    """A newspaper, site or channel's name rather than a person's."""
    return _OUTLET.fullmatch(token) is not None


# Who made the pictures: a credit, not an author (`摄影/张艳`, `图：李四`).
_PHOTO_ROLE = any_kw("摄影", "图片", "供图", "制图", "图")
# A one-character or slashed label before names: `文/王文`, `执笔/叨叨姐`, `文图/张三`.
_SLASH_ROLE = re.compile(r"(?:^|(?<=[\s(（【\[]))" + any_kw("文字", "文图", "图文", "文", "执笔", "撰文",
                                                         "作者", "记者", "采写", "编译", "整理")
                         + r"\s*[/／]\s*")
_PHOTO_LABEL = re.compile(r"(?:^|(?<=[\s(（【\[]))" + _PHOTO_ROLE + r"\s*[/／:：]\s*")
# What a byline says its people did, after their names: `（记者陈智 整合）`, `路闻卓立编译`,
# `记者 张三 摄`; and what follows a role that is not a byline (`作者手记`); never a name.
_DEEDS = ("整合", "整理", "编译", "综合", "报道", "采写", "摄影", "摄", "撰文", "制图", "供图", "翻译",
          "发自", "专稿", "独家", "手记", "附记", "后记", "简介", "札记", "按语", "感言", "自述")
_DEED = re.compile(any_kw(*_DEEDS))
_DEED_SUFFIX = re.compile(any_kw(*_DEEDS) + "$")
_TEXT_AND_PICTURES = re.compile(kw("文/图") + "|" + kw("图/文") + "|" + kw("图文"))
_BYLINE_SEP = re.compile(r"[\s　、，,;；/|｜【】\[\]▍■●◆]+")
# `&` joins the last of a list of names (`叨叨姐、胡一刀&李小飞刀`); alone it is part of a
# handle (`放飞&心情`).
_BYLINE_AND = re.compile(r"[&＆](?=[^、，,]*$)")
_AUTHOR_MARK, _PHOTO_MARK = "\x01", "\x02"
# A run of text glued to what follows it (no separator), annotations included.
_GLUED = re.compile(rf"(?:[^\s　、，,;；:：|｜【】\[\]()（）]|{_ANNOTATION})+$")
# `石佳/中国青年报`: the author, then the outlet.
_NAME_SLASH_OUTLET = re.compile(rf"((?:{HAN_CLASS}{PY}){{2,4}})\s*[/／]\s*(\S+)")
# The brackets a byline is signed in: `(李楠)`, `（记者 裴剑飞）`, `【文/王文】`.
_BRACKETED = re.compile(rf"[(（]((?:[^()（）]|{_ANNOTATION})+)[)）]|【([^【】]+)】|〔([^〔〕]+)〕|\[([^\[\]]+)\]")


def _unglue_roles(text: str) -> str:
    """Take out what is glued before a role: an outlet or a qualifier, not a name
    (`南都见习记者 林子沛`, `《棱镜》作者 周纯`, `职工通讯员 李琴雯`, `观察者网专栏作者 王文`);
    but a name glued between two roles stays (`记者张三通讯员李四`)."""
    out, last, prev_end = [], 0, None
    for match in re.finditer(_AUTHOR_ROLE, text):
        glued = _GLUED.search(text, last, match.start())
        if glued and glued.start() != prev_end:
            out.append(text[last:glued.start()] + " ")
        else:
            out.append(text[last:match.start()])
        out.append(match.group(0))
        last = prev_end = match.end()
    return "".join(out) + text[last:]


def byline_names(line: str, outlets: tuple[str, ...] = ()) -> list[str] | None:
    """The authors if `line` is a byline and nothing else, else None.

    A byline names its people with roles (`记者 张申尚`, `通讯员 陈静 记者 李东华`, `文/王文`,
    `执笔/叨叨姐、胡一刀&李小飞刀`), optionally behind an outlet (`市场星报、安徽财经网记者 李刚`,
    `光明日报记者 王建宏 张文攀`, `南都见习记者 林子沛`) and before the place reported from
    (`新京报记者 彭冲 山东冠县报道`) or what they did (`记者陈智 整合`, `记者 张三 摄`); a
    bracketed line of bare names (`(徐文亮)`) counts too: it is how Chinese papers sign short
    reports. A picture credit alone (`摄影/张艳`) is a byline naming no author: [].
    """
    text = line.strip().strip(_BULLETS)
    inner = _BRACKETED.fullmatch(text)
    body = next(g for g in inner.groups() if g is not None) if inner else text
    if len(body) > 60 or re.search(_EDITOR_ROLE + COLON, body) or re.search(r"[。！？!?]", body):
        return None
    slashed = _NAME_SLASH_OUTLET.fullmatch(body)
    if slashed and is_outlet(slashed.group(2)) and not is_outlet(slashed.group(1)):
        return [slashed.group(1)]
    # `记者 彭冲 山东冠县报道` reports from a place; `记者 张三报道` is only the name.
    for variant in (_REPORTED_FROM.sub("", body), body):
        found = _byline_tokens(variant, outlets, bare=inner is not None)
        if found is not None:
            return found
    return None


def _byline_tokens(body: str, outlets: tuple[str, ...], *, bare: bool) -> list[str] | None:
    """The authors of a byline's text; None where some word of it is not a name, a role or
    an outlet, or where it names people without a role and is not `bare` (bracketed)."""
    for outlet in outlets:
        body = re.sub(kw(outlet), " ", body)
    body = _TEXT_AND_PICTURES.sub(f" {_AUTHOR_MARK} ", body)
    body = _SLASH_ROLE.sub(f" {_AUTHOR_MARK} ", body)
    body = _PHOTO_LABEL.sub(f" {_PHOTO_MARK} ", body)
    body = re.sub(_AUTHOR_ROLE, f" {_AUTHOR_MARK} ", _unglue_roles(body))
    authors: list[str] = []
    role: str | None = None
    dropped_outlet = photo = False
    if re.search("[、，,]", body):
        body = _BYLINE_AND.sub(" ", body)
    for token in _BYLINE_SEP.split(body):
        token = token.strip(":：.")
        if token in (_AUTHOR_MARK, _PHOTO_MARK):
            role, photo = token, photo or token == _PHOTO_MARK
            continue
        if not token or _DEED.fullmatch(token):
            continue
        if is_outlet(token):  # `信报记者 蔡雪婧`: the outlet before the role
            dropped_outlet = True
            continue
        deed = _DEED_SUFFIX.search(token)
        name = token[:deed.start()] if deed and _NAME_FULL.fullmatch(token[:deed.start()]) else token
        if not _NAME_FULL.fullmatch(name) or is_ui_word(name):
            return None
        if role != _PHOTO_MARK:
            authors.append(name)
    if role is None and not (bare and authors and not dropped_outlet):
        return None  # bare names outside brackets, or an attribution (`(综合自澎湃新闻、智东西)`)
    if authors or photo:
        return list(dict.fromkeys(authors))  # [] for a picture credit
    return None


# A field that names the author (`作者：罗银胜`, `作者: 赵 培：北京物资学院`), its value
# running to the next field or punctuation.
_AUTHOR_FIELD = re.compile(any_kw("作者", "执笔人", "执笔", "撰稿人", "撰稿", "撰文", "原作者", "发布者",
                                  "发帖人", "楼主", "采写", "文字") + r"\s*[:：]\s*([^:：，,。;；|｜()（）【】<>《》]*)")
_AUTHOR_CELL = re.compile(r"(?:^|[|｜])\s*" + any_kw("作者", "记者") + rf"\s*((?:{HAN_CLASS}{PY}){{2,4}})\s*(?=$|[|｜])")
# An institution, not a person, signing as the author (`作者：医技药剂党支部`).
_INSTITUTION = re.compile(rf"{HAN_CLASS}{{2,}}" + any_kw(
    "支部", "党委", "委员会", "办公室", "办公厅", "政府", "中心", "公司", "协会", "学会", "研究院", "研究所",
    "大学", "学院", "学校", "医院", "集团", "科", "处", "局", "厅", "部", "委", "所", "队", "站", "组") + "$")
# A handle as forums and blogs print it: `ggjjzhzz`, `放飞&心情`, `太小心`.
_HANDLE = re.compile(r"[\w&·.\-]{2,20}")
# Who posted an entry: `由海姑娘张贴 @ 2005-06-14`, `ggjjzhzz 发表于 2005-9-15 11:46:00`.
_POSTED = [
    re.compile(r"由\s*([^\s@]{2,20}?)\s*(?:张贴|发表|发布|发贴|发帖)\s*(?:@|于)"),
    re.compile(r"^\s*([^\s:：]{2,20})\s+(?:发表于|发布于|发贴于|posted\s+(?:at|on))\s*\d", re.I),
    # `本贴由 老王 于 2005-06-14 发表`, `本帖最后由 X 于 …` is an edit, not the post.
    re.compile(r"本[贴帖]由\s*([^\s@]{2,20}?)\s*于\s*\d"),
    # `楼主：X`, `楼主 X 发表于 …`: the opening post's author.
    re.compile(r"^\s*楼主\s*[:：]?\s*(?!发表|发布|发贴|发帖|于)([^\s:：]{2,20})(?:\s|$)"),
]
# The commonest surnames: a `来源` that names one of these is a person, not an outlet.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯")


def name_value(value: str) -> list[str]:
    """The names in a field's value: people's names, or a two-character name typeset with a
    space inside (`赵 培`), or one handle; outlets are not names."""
    value = value.strip().strip(_BULLETS)
    if re.fullmatch(rf"{HAN_CLASS}\s{HAN_CLASS}", value):
        return [value.replace(" ", "")]
    value = re.sub(_AUTHOR_ROLE, " ", _unglue_roles(value))  # `作者：本报记者 张三`, `南都记者 张三`
    tokens = [t for t in _SEP.split(value) if t]
    if any(is_outlet(t) or is_ui_word(t) for t in tokens):
        tokens = [t for t in tokens if not is_outlet(t) and not is_ui_word(t)]
        if not tokens:
            return []
    if tokens and all(_NAME_FULL.fullmatch(t) for t in tokens):
        return tokens
    if len(tokens) == 1 and _HANDLE.fullmatch(tokens[0]) and not re.fullmatch(r"[\d.\-:]+", tokens[0]) \
            and not _INSTITUTION.fullmatch(tokens[0]):
        return tokens
    return []


def find_authors(text: str) -> list[str]:
    """Authors a field names anywhere in a short line (`……出版社：团结出版社 作者：罗银胜`)."""
    names: list[str] = []
    for match in _AUTHOR_FIELD.finditer(text):
        value = match.group(1)
        words = value.split()
        last = words[-1] if words else ""
        if text[match.end():match.end() + 1] in (":", "：") and len(last) >= 2:
            # Ran into the next field's label (`作者： 流泉 访问统计：`), not a spaced name (`赵 培：`).
            value = " ".join(words[:-1])
        names += name_value(value)
    # An info bar of `|`-separated fields, the label glued to the name (`| 来源CSDN| 作者魏星`).
    for match in _AUTHOR_CELL.finditer(text):
        names += name_value(match.group(1))
    return list(dict.fromkeys(names))


def posted_by(text: str) -> str | None:
    """Who a blog or forum entry says posted it."""
    for pattern in _POSTED:
        match = pattern.search(text)
        if match and name_value(match.group(1)):
            return name_value(match.group(1))[0]
    return None


# The credit line of a WeChat article, as pages that repost one keep it: `原创 kingname 未闻Code
# 前天`, `原创： 路闻卓立编译 人民币交易与研究`: the author, then the account.
_ORIGINAL = re.compile(r"^\s*" + kw("原创") + r"\s*[:：]?\s+(\S{2,20})\s+\S")


def original_author(text: str) -> str | None:
    """The author a `原创` credit line names."""
    match = _ORIGINAL.match(text)
    if not match or len(text) > 40:
        return None
    token = match.group(1)
    deed = _DEED_SUFFIX.search(token)
    if deed and deed.start() >= 2:
        token = token[:deed.start()]
    names = name_value(token)
    return names[0] if len(names) == 1 else None


# Words that stand alone on a page's toolbars and labels, or name no one (`本文`, `网友`),
# and look like a two- or three-character name.
_UI_WORDS = {
    "打印", "关闭", "收藏", "推荐", "评论", "分享", "返回", "顶部", "首页", "上一页", "下一页", "字体",
    "字号", "大中小", "放大", "缩小", "复制", "链接", "纠错", "举报", "订阅", "登录", "注册", "搜索",
    "更多", "详情", "正文", "全文", "原文", "目录", "热点", "专题", "图片", "组图", "图文", "视频", "音频",
    "微信", "微博", "空间", "人人", "手机版", "客户端", "责任编辑", "编辑", "作者", "来源", "记者",
    "通讯员", "发布时间", "导读", "导语", "摘要", "提要", "编者按", "前言", "引言", "简介", "快讯",
    "独家", "原创", "转载", "专稿", "本文", "此文", "该文", "文章", "网友", "楼主", "匿名", "游客",
    "佚名", "未知", "不详", "管理员", "本站", "本网", "本报", "小编", "最新文章", "相关文章", "热门文章",
    "积分", "帖子", "主题", "精华", "威望", "金钱", "贡献", "等级", "经验", "用户组", "发消息", "加好友",
    "回复", "引用", "沙发", "板凳", "地板", "签名", "个性签名", "只看该作者", "电梯直达", "今天", "昨天", "前天", "刚刚", "打印本页", "关闭窗口", "关闭本页", "打印此文", "收藏本页",
    "网络", "互联网", "网络整理", "综合整理", "本站整理", "小编整理", "网友整理", "综合报道", "网络转载", "关注", "已关注", "粉丝", "私信", "整理", "综合", "编译", "摄影",
}


def is_ui_word(text: str) -> bool:
    """A toolbar or label word (`打印`, `关闭`, `微博`), in either script."""
    return converter("t2s").convert(text.strip()) in _UI_WORDS


def is_person_name(token: str) -> bool:
    """A Chinese person's name: two or three characters behind a common surname (a four-
    character `来源` is an institution more often than a person)."""
    if not re.fullmatch(rf"{HAN_CLASS}{{2,3}}", token) or is_outlet(token) or is_ui_word(token):
        return False
    token = converter("t2s").convert(token)  # `陳鵬` is a 陈
    return token[0] in _SURNAMES or token[:2] in _COMPOUND_SURNAMES


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


_EDITOR_HANDLE = re.compile(r"\s*" + _EDITOR_ROLE + r"\s*[:：]\s*([A-Za-z][\w.\-]*(?: [A-Za-z][\w.\-]*)?)\s*")


def editor_names(line: str) -> list[str] | None:
    """The editors if `line` is an editor line (`(责编:汤宁 初审:孙继奎)`, `▍编辑：安妮`)."""
    text = line.strip().strip(_BULLETS)
    inner = re.fullmatch(r"[(（](.+)[)）]", text)
    body = inner.group(1) if inner else text
    # The outlet the editor works for goes before the role (`松花江网编辑 孙桂芳`).
    outlet = re.match(rf"\s*((?:{HAN_CLASS}{PY}|[A-Za-z]){{2,14}}?)(?={_EDITOR_ROLE})", body)
    if outlet and is_outlet(outlet.group(1)):
        body = body[outlet.end():]
    if len(body) > 80 or not re.match(r"\s*" + _EDITOR_ROLE + _ROLE_SEP, body):
        return None
    handle = _EDITOR_HANDLE.fullmatch(body)  # `责编：Demi Xia`, `（责任编辑： HN666）`
    if handle:
        return [handle.group(1)]
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
_DATELINE = re.compile(r"^(.{2,30}?)(?:[(（][^()（）]{1,40}[)）])?\s*" + kw("讯") + r"(?=\s|$|[：:])")


# A byline in brackets after a dateline (`新华社巴黎12月9日电（记者唐霁）`, `本报讯（记者 A 通讯员
# B）`, `长江网10月4日讯（记者陈智 整合）`), or opening the first paragraph (`（记者 张三）昨天……`).
_DATELINE_BYLINE = re.compile(r"^(?:.{0,40}?" + any_kw("讯", "电", "消息") + r")?\s*([(（【〔][^()（）【】〔〕]{2,60}[)）】〕])")


# Or unbracketed: `本报讯 记者 张三 通讯员 李四 报道：……`.
_DATELINE_ROLE = re.compile(r"^.{0,40}?" + any_kw("讯", "电") + r"\s*[:：]?\s*(?=" + _AUTHOR_ROLE + ")")


def dateline_byline(first_line: str) -> list[str]:
    """The authors a first paragraph's dateline names."""
    match = _DATELINE_BYLINE.match(first_line.strip())
    if not match:
        opened = _DATELINE_ROLE.match(first_line.strip())
        if not opened:
            return []
        # Where the byline ends must show: `报道`, or a colon.
        signed = re.match(r"(.{2,40}?)(?:\s*[:：]|" + kw("报道") + ")", first_line.strip()[opened.end():])
        return (byline_names(signed.group(1)) or []) if signed else []
    names = byline_names(match.group(1))
    if not names or (match.start(1) == 0 and not re.search(_AUTHOR_ROLE, match.group(1))):
        return []  # bare names opening a paragraph are not a byline without a dateline
    return names


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
    # Empty, another field's label, or the markup of a broken template (`size="20"`).
    if not value or re.match(_EDITOR_ROLE + "|" + _AUTHOR_ROLE, value) or re.search(r"[=\"'<>]", value):
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
# Year last, as ASP.NET and European sites print it: `9/17/2004 5:54:13 AM`, `06/02/2022 - 13:48`.
_YEAR_LAST = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])"
    r"(?:\s*-?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm]))?)?")
# A month without a day, as magazines date an issue: `1998年3月号`.
_YEAR_MONTH = re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
_RFC1123 = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|[+-]\d{4})")


def _valid(y: int, m: int, d: int) -> bool:
    try:
        datetime(y, m, d)
    except ValueError:
        return False
    return 1990 <= y <= 2100


def _month_day(match: re.Match) -> tuple[int, int]:
    """Month and day of a year-last date: whichever order the numbers allow; where both do,
    month first with a 12-hour clock (the US habit of the servers that print AM/PM), day
    first otherwise."""
    a, b = int(match["a"]), int(match["b"])
    if a > 12:
        return b, a
    if b > 12 or match["ampm"]:
        return a, b
    return b, a


def _iso(match: re.Match, y: int, m: int, d: int) -> str | None:
    """The date of a match as ISO 8601, with its time where it has one (local: +08:00)."""
    if match["H"] is None:
        return f"{y:04d}-{m:02d}-{d:02d}"
    hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
    if match.groupdict().get("ampm"):
        if hour > 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    tz = SHANGHAI
    if match.groupdict().get("tz"):
        raw = match["tz"]
        if raw == "Z":
            tz = UTC
        else:
            sign = 1 if raw[0] == "+" else -1
            hh, mm = int(raw[1:3]), int(raw[-2:])
            tz = timezone(sign * timedelta(hours=hh, minutes=mm))
    return datetime(y, m, d, hour, minute, second, tzinfo=tz).isoformat()


def _dates(text: str) -> list[tuple[int, str]]:
    """Every valid date printed in `text`, as (position, ISO 8601)."""
    found: list[tuple[int, str]] = []
    rfc = _RFC1123.search(text)
    if rfc:
        found.append((rfc.start(), parsedate_to_datetime(rfc.group(0)).isoformat()))
    for pattern in (*_DATE_PATTERNS, _YEAR_LAST):
        for match in pattern.finditer(text):
            y = int(match["y"])
            m, d = _month_day(match) if pattern is _YEAR_LAST else (int(match["m"]), int(match["d"]))
            if not _valid(y, m, d):
                continue
            value = _iso(match, y, m, d)
            if value:
                found.append((match.start(), value))
    return sorted(found)


def find_datetime(text: str) -> str | None:
    """The first date (and time) printed in `text`, as ISO 8601.

    Local times are Asia/Shanghai (+08:00); a date without a time is returned as YYYY-MM-DD,
    since inventing midnight would be a claim the page does not make.
    """
    if not text:
        return None
    found = _dates(text)
    return found[0][1] if found else None


def find_last_datetime(text: str) -> str | None:
    """The last date printed in `text` (the one nearest what follows it)."""
    found = _dates(text) if text else []
    return found[-1][1] if found else None


def find_year_month(text: str) -> str | None:
    """A month printed without a day (`1998年3月号`), as YYYY-MM; None if there is none."""
    for match in _YEAR_MONTH.finditer(text or ""):
        y, m = int(match["y"]), int(match["m"])
        if _valid(y, m, 1):
            return f"{y:04d}-{m:02d}"
    return None


# A date printed without its year (`发布时间：10-08 12:00`, `发表于 09月30日 22:46`) or with two
# digits of it (`发布时间：18-03-08 23:16`), behind a label that says it is the article's.
_PARTIAL_DATE = re.compile(
    any_kw("发布时间", "发表时间", "发布日期", "发表日期", "发表于", "发布于", "时间", "日期")
    + r"\s*[:：]?\s*(?:(?P<y>\d{2})[-/.])?(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2}?)\s*日?"
    r"\s*(?:(?P<H>\d{1,2})[:：](?P<M>\d{2}))?(?![\d\-/.])")


def find_partial_date(text: str) -> tuple[int | None, int, int, str | None] | None:
    """(year or None, month, day, "HH:MM" or None) of a date printed without a full year."""
    for match in _PARTIAL_DATE.finditer(text or ""):
        year = 2000 + int(match["y"]) if match["y"] else None
        month, day = int(match["m"]), int(match["d"])
        if not _valid(year or 2000, month, day):
            continue
        clock = None
        if match["H"] and int(match["H"]) < 24 and int(match["M"]) < 60:
            clock = f"{int(match['H']):02d}:{match['M']}"
        return year, month, day, clock
    return None


def complete_date(partial: tuple[int | None, int, int, str | None], known: list[str]) -> str | None:
    """A partial date made whole: its own two-digit year, else the year of a full date the page
    gives elsewhere (`<meta>`, scripts) on the same month and day; None where none agrees."""
    year, month, day, clock = partial
    if year is None:
        year = next((int(k[:4]) for k in known if k[5:10] == f"{month:02d}-{day:02d}"), None)
    if year is None:
        return None
    if clock is None:
        return f"{year:04d}-{month:02d}-{day:02d}"
    hour, minute = map(int, clock.split(":"))
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).isoformat()


# --- info lines ----------------------------------------------------------------------------

# The labelled fields of a page's info line (`2020-02-10 10:19 来源：安徽日报 编辑：张三`).
_INFO_LABEL = any_kw("文章来源", "信息来源", "新闻来源", "稿件来源", "来源", "稿源", "出处", "来自",
                     "作者", "发布者", "发布人", "责任编辑", "责编", "编辑", "记者", "通讯员",
                     "发布时间", "发表时间", "发布日期", "更新时间", "时间", "日期", "点击数", "点击",
                     "浏览次数", "浏览", "阅读", "字号", "审核", "摄影", "供稿", "录入", "发布",
                     "发表", "作者简介")
_INFO_FIELD = re.compile(_INFO_LABEL + r"\s*[:：]\s*[^\s|｜:：]*")
_INFO_WORDS = re.compile(any_kw("更新", "发布", "发表", "打印", "关闭", "收藏", "字体", "大", "中", "小",
                                "分享到", "次", "星期", "周") + rf"|[一二三四五六日天](?!{HAN_CLASS})")
_URLISH = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?", re.A)
_TIME = re.compile(r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:\s*[AP]M)?", re.I)


# A number on its own: how often the page was read, shared, commented on.
_COUNT = re.compile(r"(?<!\S)\d+(?!\S)")


def info_residue(line: str) -> str:
    """What is left of a line once its dates, labelled fields, times, URLs and info-bar words
    are taken out: nothing much, on a page's info line."""
    text = line
    for pattern in (*_DATE_PATTERNS, _YEAR_LAST, _YEAR_MONTH, _INFO_FIELD, _URLISH, _TIME, _INFO_WORDS,
                    _COUNT):
        text = pattern.sub(" ", text)
    # Private-use characters too: what a GBK page's user-defined bytes decode to, usually a
    # decorative space in the site's font.
    return re.sub(r"[\s|｜:：/\-_()（）\[\]【】<>《》·•,，.\ue000-\uf8ff]+", "", text)


def is_info_line(line: str) -> bool:
    """A line of dates and labelled fields (`2005-04-05 06:40更新 来源：转载文章`), the info bar
    under a headline or the source and editor line under an article, not a sentence."""
    if len(line) > 100 or re.search(r"[。！？]", line):
        return False
    has_fact = _INFO_FIELD.search(line) is not None or bool(_dates(line)) or _YEAR_MONTH.search(line)
    return bool(has_fact) and len(info_residue(line)) <= 8
