"""A generated news site of any size, for crawls through several processes and benchmarks:
listing pages that link to article pages shaped like a regional portal's (navigation, share bar,
related links, copyright footer around a body of Chinese paragraphs), each a distinct story.

`news_site(host, n)` returns {target: html}; serve it with `FixtureServer.add_route`, crawl it
with `scrapy crawl generic -a start_url=http://HOST/list/1.html -a allow=/content/`.
"""

from __future__ import annotations

import random
from typing import Any

_WORDS = ("淮南 市委 市政府 召开 常务 会议 研究 部署 重点 工作 项目 建设 推进 经济 发展 社会 民生 保障 "
          "城市 乡村 振兴 产业 升级 改革 创新 科技 企业 投资 就业 教育 医疗 卫生 交通 道路 环境 治理 "
          "生态 保护 文化 旅游 服务 群众 社区 志愿者 安全 生产 检查 防汛 抗旱 农业 粮食 收购 价格 "
          "市场 监管 部门 负责人 介绍 表示 今年 以来 全市 累计 完成 同比 增长 百分之 亿元 万元 公里 "
          "计划 开工 竣工 验收 投入 使用 有效 缓解 提升 水平 质量 效率 落实 责任 加强 领导 推动 高质量").split()
_NAV = "".join(f'<li><a href="/channel/{i}.html">频道{i}</a></li>' for i in range(1, 25))
_FOOT = ("<div class='footer'><p>凡本网注明“来源：淮南网”的所有作品，版权均属于淮南日报社，未经授权不得转载。</p>"
         "<p>主办单位：淮南日报社 地址：安徽省淮南市田家庵区 电话：0554-0000000</p></div>")


def _word(rng: random.Random) -> str:
    """A news word, or a name of two or three common characters: stories differ in their text."""
    if rng.random() < 0.5:
        return rng.choice(_WORDS)
    return "".join(chr(rng.randint(0x4E00, 0x6FFF)) for _ in range(rng.randint(2, 3)))


def _sentence(rng: random.Random) -> str:
    return "".join(_word(rng) for _ in range(rng.randint(8, 16))) + rng.choice("。。。！")


def article_page(n: int, *, paragraphs: int = 30, seed: int = 0) -> str:
    """Article n: a distinct story of `paragraphs` paragraphs in a portal's page furniture."""
    rng = random.Random(seed * 1_000_003 + n)
    title = "".join(rng.choice(_WORDS) for _ in range(6))
    body = "".join(f"<p>{''.join(_sentence(rng) for _ in range(rng.randint(3, 6)))}</p>" for _ in range(paragraphs))
    related = "".join(f'<li><a href="/channel/{rng.randint(1, 24)}.html">{_sentence(rng)[:14]}</a></li>'
                      for _ in range(12))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_淮南网</title>
<meta name="keywords" content="{title}"><script>var _hmt = _hmt || [];</script></head>
<body><div class="top"><ul class="nav">{_NAV}</ul></div>
<div class="main"><div class="crumb">您的位置：<a href="/">首页</a> &gt; <a href="/list/1.html">本地新闻</a></div>
<div class="article"><h1>{title}</h1><div class="info">2026-11-{1 + n % 28:02d} 09:{n % 60:02d} 来源：淮南日报 作者：记者{n}</div>
<div class="content">{body}</div><div class="editor">（责任编辑：王晓明）</div>
<div class="share">分享到：微信 微博 QQ空间</div></div>
<div class="related"><h3>相关新闻</h3><ul>{related}</ul></div></div>{_FOOT}</body></html>"""


def news_site(host: str, articles: int, *, per_listing: int = 40, paragraphs: int = 30,
              seed: int = 0) -> dict[str, str]:
    """{target: html} of a site: /list/1.html … linking every article /content/N.html once."""
    routes: dict[str, str] = {}
    listings = max(1, -(-articles // per_listing))
    for page in range(1, listings + 1):
        first = (page - 1) * per_listing
        links = "".join(f'<li><a href="http://{host}/content/{n}.html">新闻{n}</a></li>'
                        for n in range(first, min(articles, first + per_listing)))
        more = f'<a href="http://{host}/list/{page + 1}.html">下一页</a>' if page < listings else ""
        routes[f"/list/{page}.html"] = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>本地新闻</title>'
                                        f'</head><body><ul>{links}</ul>{more}</body></html>')
    for n in range(articles):
        routes[f"/content/{n}.html"] = article_page(n, paragraphs=paragraphs, seed=seed)
    routes["/robots.txt"] = "User-agent: *\nAllow: /\n"
    return routes


def serve_news_site(server: Any, host: str, articles: int, *, paragraphs: int = 30,
                    article_delay: float = 0.0) -> None:
    """Add the site's routes to a fixture server (anything with `add_route`)."""
    serve_pages(server, host, news_site(host, articles, paragraphs=paragraphs), article_delay=article_delay)


def serve_pages(server: Any, host: str, pages: dict[str, str], *, article_delay: float = 0.0) -> None:
    """Add {target: html} routes (a `news_site`, perhaps altered) to a fixture server; article
    pages answer after `article_delay` seconds, so a crawl lasts long enough for workers to join it."""
    for target, body in pages.items():
        server.add_route(host, target, body=body, headers=[("Content-Type", "text/html; charset=utf-8")],
                         delay=article_delay if target.startswith("/content/") else 0.0)
