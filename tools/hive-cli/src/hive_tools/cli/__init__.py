"""The `hive` command line."""
