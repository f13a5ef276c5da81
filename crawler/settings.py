"""Scrapy settings: polite by default, every value overridable with `-s NAME=VALUE`."""

BOT_NAME = "crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# Where crawls write: articles/*.jsonl (and later warc/, index, state, reports).
OUTPUT_DIR = "output"

# --- politeness ---------------------------------------------------------------
USER_AGENT = (
    "Mozilla/5.0 (compatible; zh-news-archiver/0.1; "
    "archival crawler for Chinese regional news; +https://example.org/zh-news-archiver)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Outputs of one callback processed at once: Scrapy starts this many tasks per response (its
# default, 100, costs more than a page's few requests and one item need).
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay varies by ±50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- robustness ---------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Extraction and link extraction of pages over PARSE_HEAVY_BYTES run in PARSE_PROCESSES worker
# processes (started on first use, reused, shared by the spiders of a process), within PARSE_TIME_BUDGET
# seconds (a page taking longer is given up on and its worker replaced); smaller ones on the
# spot, in arrival order (a reproducible filing order). PARSE_PAGES = "all" sends every page to
# the workers (uses the other cores; pages are then filed in the order they finish), which then
# start as the spider opens, light pages being read on the spot until they are up;
# PARSE_PROCESSES = 0 reads every page on the spot.
PARSE_PROCESSES = 1
PARSE_PAGES = "heavy"  # "heavy" (over PARSE_HEAVY_BYTES) or "all"
PARSE_HEAVY_BYTES = 256 * 1024
PARSE_TIME_BUDGET = 10.0  # seconds
# While page workers run, the event loop's thread lets a pool's thread (which takes a page's
# result and hands its worker the next page) have the GIL within this many seconds, not
# Python's 5 ms, during which the worker would sit idle; 0 keeps the interpreter's.
PARSE_SWITCH_INTERVAL = 0.0005
MAX_LINKS_PER_PAGE = 10000  # links followed from one page (more are counted, links/dropped)
MAX_ARTICLE_BYTES = 8 * 1024 * 1024  # article pages larger than this are archived, not parsed
RETRY_AFTER_MAX = 120  # seconds: a Retry-After up to this is waited for, a longer one given up on
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
# Scrapy stops fetching while the responses in its spider's hands pass this size (5 MB by
# default): room for the largest page read (MAX_ARTICLE_BYTES) beside the others, so one heavy
# page in a worker process does not stall the crawl, yet bounded, so that pages waiting for the
# worker processes (PARSE_PAGES=all) do not pile up in memory.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = MAX_ARTICLE_BYTES + 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = False  # keep truncated bodies; extraction decides, the stats count them
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- fixture sites ------------------------------------------------------------
# "host:port" of a running fixture server. When set, requests for the hosts the bundled
# fixture sites model are sent there, and items keep the real URLs. Empty: crawl the live web.
FIXTURE_SERVER = ""

# Scrapy's HTTP/1.1 handler, which sends fixture hosts to FIXTURE_SERVER when that is set.
DOWNLOAD_HANDLERS = {
    "http": "crawler.downloader.handler.CrawlerDownloadHandler",
    "https": "crawler.downloader.handler.CrawlerDownloadHandler",
}

EXTENSIONS = {
    # The crawl's services, found by the components with crawler.get_extension().
    "crawler.extensions.state.CrawlState": 10,
    "crawler.extensions.archive.WarcArchive": 20,  # with WARC_ENABLED
    "crawler.extensions.faults.Faults": 50,
    "crawler.extensions.lock.SpiderLock": 100,
    "crawler.extensions.runreport.RunReport": 510,
    "crawler.extensions.progress.Progress": 520,
    "crawler.extensions.collector.GarbageCollector": 600,
}
# The cyclic garbage collector while the engine runs (crawler/extensions/collector.py): its
# thresholds (empty: Python's own, 700, 10, 10), and whether what the process holds when the
# engine starts is frozen out of its scans.
GC_THRESHOLD = [10000, 10, 10]
GC_FREEZE = True

# --- scheduled runs --------------------------------------------------------------
# A run that finds fewer articles (new or already archived) than this share of its recent
# runs' median is reported as a problem (a site changed its layout?); crawlall exits non-zero.
CRAWL_MIN_ARTICLE_RATIO = 0.5
PROGRESS_INTERVAL = 30  # seconds between progress lines in the log (0: none)
PROGRESS_TTY = True  # a live status line when the log goes to a terminal

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt and everything else: a known article is not requested at all.
    "crawler.downloader.known.KnownArticlesMiddleware": 50,
    # Scrapy's retries, waiting as long as a Retry-After asks (crawler.downloader.retry).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.downloader.retry.RetryAfterMiddleware": 550,
    # Scrapy's meta refresh redirects, without decoding a page that has none (at Scrapy's 580).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.downloader.redirects.QuickMetaRefreshMiddleware": 580,
    # Sees a redirect before RedirectMiddleware (600) follows it: a loop is counted, not dropped.
    "crawler.downloader.redirects.RedirectLoopMiddleware": 610,
    # With REDIS_URL: each request waits for its host's turn, shared by every worker
    # (crawler.downloader.polite); after robots.txt, so a Crawl-delay is known.
    "crawler.downloader.polite.SharedPolitenessMiddleware": 940,
    # Closest to the downloader: sees responses before decompression and redirects.
    "crawler.downloader.warc.WarcCaptureMiddleware": 950,
}

SPIDER_MIDDLEWARES = {
    # Items get the WARC locator of their own response's record.
    "crawler.spidermiddlewares.warc.WarcLocatorMiddleware": 950,
}

ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 100,
    "crawler.pipelines.normalize.NormalizePipeline": 200,
    "crawler.pipelines.dedupe.DedupePipeline": 300,
    "crawler.pipelines.archive.ArchivePipeline": 800,
    "crawler.pipelines.export.JsonlExportPipeline": 900,
}

# --- archive --------------------------------------------------------------------
# WARC files of every fetch as served (OUTPUT_DIR/warc), their CDXJ index (OUTPUT_DIR/index.cdxj).
WARC_ENABLED = True
WARC_MAX_SIZE = 1024**3  # rotate files at this size (bytes)
WARC_VERSION = "1.1"
# Each record its own gzip member, by ISA-L ("isal", levels 0-3) or zlib ("zlib", 0-9); the level
# None: the engine's default (isal 2, zlib 6). isal is about ten times zlib-6's speed for files
# about a seventh larger.
WARC_GZIP_ENGINE = "isal"
WARC_GZIP_LEVEL = None
# The state store (archived payloads and article URLs, fingerprints, clusters); empty:
# OUTPUT_DIR/state.sqlite.
STATE_URL = ""

# --- dedupe ---------------------------------------------------------------------
DEDUPE_ENABLED = True
DEDUPE_THRESHOLD = 0.5  # estimated Jaccard similarity of bodies at which two articles are one story
DEDUPE_SHINGLE = 5  # characters per shingle
DEDUPE_NUM_PERM = 128  # MinHash permutations
# How shingles are hashed: "cp64" (from their code points, vectorized) or "sha1" (datasketch's
# MinHash, value for value, about 5 times the CPU). Empty: what the state store holds
# fingerprints of, "cp64" for a new store. A store holds one kind: it refuses the other.
DEDUPE_SHINGLE_HASH = ""
REFRESH = False  # fetch article pages again even when already archived

# --- export ---------------------------------------------------------------------
# Group commit: the exports are fsynced, and their filings marked exported, every this many
# records or seconds (and at the end); lines are written at once (crawler/pipelines/export.py).
EXPORT_BATCH = 32
EXPORT_BATCH_SECONDS = 1.0

# --- several processes -------------------------------------------------------------
# redis://host:port/db of a shared frontier (crawler.frontier, on scrapy-redis): every process
# of a spider started with it takes requests from one queue. Empty: Scrapy's own scheduler.
REDIS_URL = ""
# The processes of one crawl share a RUN_GROUP (any name, the same on every machine): they are one
# run, and another run of the spider on the same state store meanwhile is skipped. Empty: each
# process is a run of its own.
RUN_GROUP = ""
RUN_LEASE_TTL = 60  # seconds a run's lease lasts unless renewed (a killed run's lock frees then)
FRONTIER_HEARTBEAT_TTL = 30  # seconds without a heartbeat after which a worker is dead
FRONTIER_IDLE_POLL = 0.05  # seconds between looks at the shared queue while this worker has nothing
# `scrapy crawl SPIDER -s WORKERS=N` (or `crawlall --workers N`) runs N processes of the crawl on
# this machine, one run group on the shared frontier (REDIS_URL required); WORKER_OF is set by
# that command for its workers (they report their share of the run as a part).
WORKERS = 1
WORKER_OF = ""
# With REDIS_URL, every worker's requests to a host take turns in Redis: CONCURRENT_REQUESTS_PER_DOMAIN
# and DOWNLOAD_DELAY (or a larger robots.txt Crawl-delay) hold for all of them together.
POLITENESS_SHARED = True
# Seconds a request's turn at its host lasts unless its worker renews it (a heartbeat every third of
# it): a killed worker's turns are free this soon, a live worker's long download keeps its turn.
POLITENESS_LEASE = 10
ADDONS = {"crawler.frontier.FrontierAddon": 0}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
