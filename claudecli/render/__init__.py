"""Everything claudecli shows.

* ``emit``     the one way a ``--json`` document reaches stdout (schema_version, items, error documents).
* ``stream`` / ``plain`` / ``markdown_sink`` / ``markdown_blocks``  an answer as it streams: raw, or Markdown.
* ``summary``  the waiting spinner and the per-call summary line on stderr.
* ``table``    every table, readable at 80 columns and plain when piped.
* ``terminal`` terminal echo control while a live area is drawn.
* ``tool_trace`` tool calls, their results and web search results on stderr, escapes replaced.
* ``visible``  untrusted text made safe for a terminal: control characters and bidi overrides shown escaped.
"""
