"""What every part of claudecli stands on; it imports nothing from the other packages at module level.

* ``config``  the one config loader: every source in order, and where each value came from.
* ``settings`` the typed, frozen settings (a field per setting; flags applied by ``with_flags``);
  ``setting_values`` what each setting may hold (the converters, every scalar with its default).
* ``dotenv_policy`` / ``dotenv_trust``  what an untrusted ``.env`` may set, and ``config trust-env``.
* ``scrub``   the one secret scrubber at every output edge; ``names``: the one rule for names that become paths.
* ``controls`` the control characters untrusted text may not send a terminal, and how they are shown instead.
* ``gc_pause`` the start-up garbage-collector pause, the one module that touches the collector.
* ``context`` the app context handed to every command: settings, consoles, output mode, client, ledger.
* ``client``  the one place an SDK client is built; ``sdk_errors`` where SDK failures become claudecli errors.
* ``errors``  the exit-code enum and the project's exceptions.
* ``paths`` / ``fsutil`` / ``db`` / ``store``  where files live, atomic writes, the SQLite layer every store shares
  and the ``MigratedStore`` base every store is built on
  (``db_files``: creating, telling damage, moving aside, the stored form of timestamps; ``side_spool``: rows a store could not take).
* ``process``  which process sends a call, and whether it has provably ended.
* ``usage`` / ``tokens``  token usage as the API reports it, and the local token estimate.
"""
