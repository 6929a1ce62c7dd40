"""Benchmark harness: memtables beside sqlite3 (and Redis/DuckDB where installed)."""
