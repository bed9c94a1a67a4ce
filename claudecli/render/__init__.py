"""Rendering: streamed Markdown, summaries, tables and terminal helpers."""
