"""Trading Hive core library: contracts, serde, the consume-handle-produce loop, market data.

Services import it; it imports no service and no tooling (hive_tools sits above both)."""

__version__ = "0.1.0"
