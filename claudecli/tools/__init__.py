"""Tools Claude may call: where they come from, who approves them, how they run.

* ``base``      the shapes every tool source shares: ``Tool``, ``ToolCall``, ``ToolResult``, ``ToolSource``,
  ``Approval``, ``Decision``.
* ``box``       the ``Toolbox`` the tool loop (``claudecli.call.tool_loop``) talks to; ``setup.build_toolbox``
  builds it from the tool flags.
* ``approval``  the approval rules (``make_approver``); ``terminal`` asks the person on ``/dev/tty``.
* sources: ``fs`` (+ ``fs_paths`` confinement, ``fs_regex`` worker), ``shell``, ``command`` (``[tools.NAME]``),
  ``functions`` (+ ``functions_worker``); ``child`` runs every tool process; ``guard`` keeps claudecli's own
  memory from them; ``sanitize`` cleans their text.

Sources are synchronous to the loop: a source whose client is asynchronous (MCP) runs its own event loop on a
background thread and answers ``run`` synchronously, so the loop never knows the difference.
"""
