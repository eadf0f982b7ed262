"""Operations on the cluster and the registry, driven by the catalogue (used by the CLI)."""
