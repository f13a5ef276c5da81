r"""趣头条, as a Hexo blog that mirrors news feeds publishes it: each post is its Hexo source
(YAML front matter, then the HTML body), images behind a CORS proxy.

The capture does not name the mirror's host: `hexo-mirror.invalid` stands for it (the spider
takes `-a host=...` for a real one). The paths are Hexo's: category pages
`/categories/<a>/<b>/[page/N/]`, sources `/source/_posts/<name>.md`.
"""

from crawler.sites.base import Site, Template

HEXO_SOURCE = Template(name="hexo-source", body="div", front_matter=True)

QUTOUTIAO = Site(
    name="qutoutiao",
    label="趣头条",
    hosts=("hexo-mirror.invalid",),
    start_urls=("http://hexo-mirror.invalid/categories/%E6%96%B0%E5%AA%92%E4%BD%93/%E8%B6%A3%E5%A4%B4%E6%9D%A1/",),
    articles=(r"^/source/_posts/[^/]+\.md$",),
    listings=(r"^/categories/[^?]+/(?:page/\d+/)?$",),
    templates=(HEXO_SOURCE,),
    # Hexo sources are Markdown files; mirrors serve them as text/markdown or text/plain.
    article_types=("text/markdown", "text/x-markdown", "text/plain", "text/html"),
)
