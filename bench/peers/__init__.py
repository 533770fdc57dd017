"""Peer systems benchmarked against Tempograph, each driven in its own venv (see README.md)."""
