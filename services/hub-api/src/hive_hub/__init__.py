"""The hub: REST API and dashboard over SQL read models of the hive's topics."""

__version__ = "0.1.0"
