"""Components at the downloader's edge (download handlers)."""
