"""presswatch commands: ops."""

from flows.cli import cli, friendly  # noqa: F401
