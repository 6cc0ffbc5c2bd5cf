"""The browsable change report: a static site (index of changes, one page per changed article) that opens from disk."""
