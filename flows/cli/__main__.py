"""`python -m flows.cli`: the presswatch command."""

from flows.cli import main

main()
