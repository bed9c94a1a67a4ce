"""``claudecli chat``: the interactive REPL.

Layout (each module owns one responsibility):

* ``core``          start-up: options, the TTY check, which session to open, ``--list``.
* ``state``         the live chat: model, system prompt, pending attachments, totals, persistence calls.
* ``conversation``  exchanges, the message list sent to the API (moving cache breakpoint, validity rules).
* ``session_store`` the SQLite store of sessions and their turns (named migrations of its own).
* ``replay``        a tool-using exchange's stored steps, sent again (verbatim, repaired, or as text).
* ``turn``          one turn: budget and context checks, the tool loop, the summary, the record;
                    ``turn_view`` (spinner, text, tool lines), ``loop_record`` (the loop as one exchange).
* ``tooling``       the chat's tools (fixed for the chat); ``approval`` asks the person with prompt-toolkit;
                    ``tool_display`` draws tool calls, results and search results in the transcript.
* ``repl``          prompt-toolkit: keys, history, completion, toolbar, the read-eval loop.
* ``slash``         the slash commands; ``compact``, ``export``, ``clipboard``, ``editor``, ``display``,
                    ``limits`` and ``interrupts`` (Ctrl-C during a turn) help it.

prompt-toolkit is imported only inside ``repl``'s functions, when the REPL starts: importing any chat module (and
so ``claudecli --help``, ``chat --help``, ``chat --list``) never loads it.
"""
