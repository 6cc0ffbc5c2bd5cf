"""Reliability under faults, kills, hostile input and bad configuration (docs/reliability.md)."""
