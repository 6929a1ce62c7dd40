"""The memtables command line and interactive shell."""
