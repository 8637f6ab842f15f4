"""Ingest: reading documents from files and streams into ``Article`` records."""

from communique.ingest.documents import ReadOptions, read_jsonl, read_text_file

__all__ = ["ReadOptions", "read_jsonl", "read_text_file"]
