"""news-dedupe: find near-duplicate news articles."""

__version__ = "0.1.0"
