"""For scrapyd-deploy (scrapyd-client), which builds the egg with `python setup.py bdist_egg`.

Everything is in pyproject.toml: metadata, the fixture sites as package data, and the `scrapy`
entry point (settings = crawler.settings) through which scrapyd finds the settings in the egg.
Without this file scrapyd-deploy writes its own setup.py into the checkout on the first deploy
(name "project", find_packages(), its own entry point), leaving it to setuptools to reconcile that
with pyproject.toml.
"""

from setuptools import setup

setup()
