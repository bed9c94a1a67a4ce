"""The usage ledger: one SQLite row per billable call.

* ``store``      the ledger itself (``usage.db``): write rows, read them back.
* ``rollup``     report totals that stay fast at any size (whole days from a rollup table).
* ``migrations`` the schema, as forward-only named migrations.
"""
