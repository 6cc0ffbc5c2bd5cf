"""presswatch commands: history."""

from flows.cli import cli, friendly  # noqa: F401
