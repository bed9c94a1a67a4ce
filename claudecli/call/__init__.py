"""One Messages call, from options to a booked outcome: the only place ask, chat and batch run send one.

* ``prompt_input`` / ``attachments`` / ``schema``  where a prompt, its files and its output schema come from.
* ``request``  a request body from options (thinking, effort, schema, stops, caching, params).
* ``stream``   one streamed call, measured, priced and written to the ledger, whatever way it ends.
* ``attempts`` a ledger row for each attempt of it that may have been paid for (the SDK's retries included).
* ``fallback`` when an overloaded call (529 after retries) goes once to ``fallback_model``.
* ``outcome``  what one call produced.
* ``tool_loop`` the one tool loop (ask, chat, batch run): steps of ``stream``, tools run between them.
* ``server_tools`` / ``tool_setup``  server tool entries and their results; the flags' tools and the toolbox seam.
"""
