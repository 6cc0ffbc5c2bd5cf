-- Data files written from now on use Parquet's version 2 encodings: integers sorted within a row
-- group (a term's blocks, a block's documents) are stored as deltas, strings with their lengths
-- delta-encoded. Files already written stay as they are until a rewrite or merge writes them again.
CALL set_option('parquet_version', 2);
