"""``claudecli chat``: the interactive REPL.

Layout (each module owns one responsibility):

* ``core``          start-up: options, the TTY check, which session to open, ``--list``.
* ``state``         the live chat: model, system prompt, pending attachments, totals, persistence calls.
* ``conversation``  exchanges, the message list sent to the API (moving cache breakpoint, validity rules).
* ``session_store`` the SQLite store of sessions and their turns (named migrations of its own).
* ``turn``          one turn: budget and context checks, the stream, the summary, the record.
* ``repl``          prompt-toolkit: keys, history, completion, toolbar, the read-eval loop.
* ``slash``         the slash commands; ``compact``, ``export``, ``clipboard``, ``editor``, ``display``,
                    ``limits`` and ``interrupts`` (Ctrl-C during a turn) help it.

prompt-toolkit is imported only inside ``repl``'s functions, when the REPL starts: importing any chat module (and
so ``claudecli --help``, ``chat --help``, ``chat --list``) never loads it.
"""
