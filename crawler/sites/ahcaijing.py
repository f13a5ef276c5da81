r"""市场星报 / 安徽财经网: articles `/html/YYYY/<channel>_<MMDD>/<id>.html` on www.ahcaijing.com,
the mobile site m.xomn.cn. Two templates: the table layout used until 2019, the current one."""

from datetime import date

from crawler.sites.base import Pick, Site, Template
from crawler.text import SOURCE_FIELD

_EDITOR = Pick(".info .editor")

CURRENT = Template(
    name="article-2020",
    body="#content",
    title="h1.title",
    published=Pick(".info .time"),
    source=Pick(".info .source", SOURCE_FIELD),
    editors=_EDITOR,
    section=".crumb",
    drop=(".statement", ".share", ".qrcode"),
    valid_from=date(2020, 1, 1),
)

TABLE_2019 = Template(
    name="table-2019",
    body="#zoom",
    title=".art_title",
    published=Pick(".art_info"),
    source=Pick(".art_info", SOURCE_FIELD),
    editors=Pick(".art_info"),
    section=".nav",
    valid_until=date(2019, 12, 31),
)

AHCAIJING = Site(
    name="ahcaijing",
    label="市场星报、安徽财经网",
    hosts=("www.ahcaijing.com", "m.xomn.cn"),
    start_urls=("http://www.ahcaijing.com/html/24h/", "http://www.ahcaijing.com/html/hnnews/"),
    articles=(r"^/html/\d{4}/[a-z0-9]+_\d{4}/\d+\.html$",),
    listings=(r"^/html/[a-z0-9]+/(?:\d+\.html)?$",),
    templates=(CURRENT, TABLE_2019),
    outlets=("市场星报", "安徽财经网", "掌中安徽"),
    url_date=r"/html/(?P<y>\d{4})/[a-z0-9]+_(?P<m>\d{2})(?P<d>\d{2})/",
    # The mobile site serves the same articles under the same paths.
    aliases={"m.xomn.cn": "www.ahcaijing.com", "ahcaijing.com": "www.ahcaijing.com"},
)
