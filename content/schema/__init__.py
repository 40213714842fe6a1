"""Pydantic schemas for the content files, one module per file family."""
