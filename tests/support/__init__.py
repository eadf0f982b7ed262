"""Support code for the tests (builders, harnesses, helpers for the real servers); nothing here is
collected. Tests import it as `from support.executor import ...`: pytest puts tests/, the folder
of the root conftest, on sys.path."""
