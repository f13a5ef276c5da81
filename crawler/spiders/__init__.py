"""Spiders: one per site (crawler.spiders.sites) and `generic`."""
