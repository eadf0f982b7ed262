"""Trading Hive shared runtime: contracts, serde, the consume-handle-produce loop and tools."""

__version__ = "0.1.0"
