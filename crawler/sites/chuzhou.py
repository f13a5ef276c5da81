from crawler.sites.base import Site
from crawler.sites.founder import FOUNDER, FOUNDER_URL_DATE

CHUZHOU = Site(
    name="chuzhou",
    label="滁州日报",
    hosts=("szbk.chuzhou.cn",),
    start_urls=("http://szbk.chuzhou.cn/czrb/pc/paperindex.html",),
    articles=(r"^/czrb/pc/content/\d{6}/\d{2}/content_\d+\.html$",),
    listings=(r"^/czrb/pc/layout/\d{6}/\d{2}/node_\d+\.html$", r"^/czrb/pc/paperindex\.html$"),
    templates=(FOUNDER,),
    source="滁州日报",
    url_date=FOUNDER_URL_DATE,
)
