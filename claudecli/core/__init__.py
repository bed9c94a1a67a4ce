"""What every part of claudecli stands on; it imports nothing from the other packages at module level.

* ``config``  the one config loader (typed settings) and where each value came from.
* ``context`` the app context handed to every command: settings, consoles, output mode, client, ledger.
* ``client``  the one place an SDK client is built, and where SDK failures become claudecli errors.
* ``errors``  the exit-code enum and the project's exceptions.
* ``paths`` / ``fsutil`` / ``db``  where files live, atomic writes, the SQLite layer every store shares
  (``db_files``: creating, telling damage, moving aside; ``side_spool``: rows a store could not take).
* ``process``  which process sends a call, and whether it has provably ended.
* ``usage`` / ``tokens``  token usage as the API reports it, and the local token estimate.
"""
