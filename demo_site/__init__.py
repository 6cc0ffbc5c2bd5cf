"""A deterministic fake news site on 127.0.0.1 for the presswatch demo and tests."""

from .registry import demo_registry
from .server import DemoSite

__all__ = ["DemoSite", "demo_registry"]
