"""presswatch commands: trends."""

from flows.cli import cli, friendly  # noqa: F401
