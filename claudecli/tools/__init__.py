"""Tools Claude may call: where they come from, who approves them, how they run.

* ``base``  the shapes every tool source shares: ``Tool``, ``ToolCall``, ``ToolResult``, ``ToolSource``,
  ``Approval``, and the ``Toolbox`` the tool loop (``claudecli.call.tool_loop``) talks to.

Sources are synchronous to the loop: a source whose client is asynchronous (MCP) runs its own event loop on a
background thread and answers ``run`` synchronously, so the loop never knows the difference.
"""
