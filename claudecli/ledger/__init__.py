"""The usage ledger: one SQLite row per billable call.

* ``store``      the ledger itself (``usage.db``): write rows, read them back.
* ``rollup``     report totals that stay fast at any size (whole days from a rollup table).
* ``sql``        what both speak: the stored timestamp form, token columns, nano-dollar sums, ranges, groups.
* ``migrations`` the schema, as forward-only named migrations.
* ``write_ahead`` rows written before a call leaves, and settled once their process is provably gone.
"""
