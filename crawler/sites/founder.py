"""Founder (方正) e-paper pages, the system many Chinese dailies publish their print pages with:
layout pages `layout/YYYYMM/DD/node_NN.html` list a page's articles, article pages are
`content/YYYYMM/DD/content_NNN.html` with the text in `<founder-content>`."""

from crawler.sites.base import Pick, Template

FOUNDER_URL_DATE = r"/(?:content|layout)/(?P<y>\d{4})(?P<m>\d{2})/(?P<d>\d{2})/"

FOUNDER = Template(
    name="founder-epaper",
    body="founder-content",
    title=".newsdetatit h3",
    subtitle=(".newsdetatit .kicker", ".newsdetatit .subtitle"),
    published=Pick(".newsdetatit .newsdetatext"),
    source=Pick(".header .paper-name"),
    authors=Pick("founder-author"),
    captions=".pic-caption",
    # Print pages carry classified notices after the article; they are not part of it.
    cut_from=(r"^遗失.{2,200}声明作废。?$", r"^(?:注销|减资|清算)公告"),
)
