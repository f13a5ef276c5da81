r"""丹凤县人民政府 (a VSB CMS site): articles `/info/<channel>/<id>.htm`, channel listings such
as `/xwzx/xzdt.htm` paginated as `/xwzx/xzdt/N.htm` (numbered downwards, oldest page 1)."""

from crawler.sites.base import Pick, Site, Template
from crawler.text import SOURCE_FIELD

VSB = Template(
    name="vsb",
    body="#vsb_content .v_news_content",
    title=".content-title h1",
    published=Pick(".content-info"),
    source=Pick(".content-info", SOURCE_FIELD),
    section=".position",
    drop=("script",),
)

DANFENG = Site(
    name="danfeng",
    label="丹凤县人民政府",
    hosts=("www.danfeng.gov.cn",),
    start_urls=("https://www.danfeng.gov.cn/xwzx/xzdt.htm", "https://www.danfeng.gov.cn/xwzx/bmdt.htm"),
    articles=(r"^/info/\d+/\d+\.htm$",),
    listings=(r"^/xwzx/[a-z]+\.htm$", r"^/xwzx/[a-z]+/\d+\.htm$"),
    templates=(VSB,),
)
