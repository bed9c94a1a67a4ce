"""Tiny MCP servers the tests start as real subprocesses (run with ``python FILE``)."""
