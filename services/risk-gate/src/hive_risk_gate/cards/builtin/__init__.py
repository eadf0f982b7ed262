"""The built-in strategy cards: follow, regime_filtered, confidence_threshold."""
