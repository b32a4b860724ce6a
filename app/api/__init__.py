"""The HTTP service (FastAPI). Nothing outside this package imports FastAPI."""
