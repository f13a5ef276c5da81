"""Finding a site's articles without knowing the site: feeds, dates, crawl bounds and spider
traps, and URL patterns learned from a crawl. Pure: no Scrapy (`crawler.spiders.generic` adapts
it; sitemaps are read there, with Scrapy's own sitemap parser)."""
