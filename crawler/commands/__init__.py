"""Project commands: `scrapy demo`, `scrapy fixtures`."""
