r"""淮南网 (淮南日报社): special-topic articles `zt_content.asp?id=N`, listed by
`zt_list.asp?id=T[&page=P]`; its e-paper 淮河早报 on hhzb.huainannet.com (Founder)."""

from crawler.sites.base import Pick, Site, Template
from crawler.sites.founder import FOUNDER, FOUNDER_URL_DATE
from crawler.text import kw

ZT_2020 = Template(
    name="zt-2020",
    body="#zt_content",
    title=".zt_title h1",
    published=Pick(".zt_info"),
    source=Pick(".footer", kw("版权所有") + r"\s*[:：]\s*([^\s<]+)"),
    section=".position",
    drop=(".zt_notice",),
    caption_after_image=True,
)

HUAINAN = Site(
    name="huainan",
    label="淮南网",
    hosts=("huainannet.com",),
    start_urls=("http://www.huainannet.com/zt_list.asp?id=12", "http://hhzb.huainannet.com/"),
    articles=(r"^/zt_content\.asp\?id=\d+$", r"^/content/\d{6}/\d{2}/content_\d+\.html$"),
    listings=(r"^/zt_list\.asp\?id=\d+(?:&page=\d+)?$", r"^/layout/\d{6}/\d{2}/node_\d+\.html$", r"^/$"),
    templates=(ZT_2020, FOUNDER),
    source="淮南网",
    url_date=FOUNDER_URL_DATE,
)
