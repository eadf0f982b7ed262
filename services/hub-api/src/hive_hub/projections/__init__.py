"""Projections: the hive's topics into the hub's read models (mapping: records to row writes;
store: the writes as idempotent upserts; runner: the consumer that feeds them)."""
