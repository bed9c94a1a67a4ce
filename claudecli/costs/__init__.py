"""`claudecli cost`: estimates before a call, reports after, price tables and budget status.

* ``estimate``      what a prompt would cost on several models (``cost estimate``).
* ``report``        ``cost report``: builds the report from ``report_data`` rows (from the ledger, or from the
                    Admin API through ``org``) and prints it with ``report_output`` (table, JSON or CSV).
* ``prices_table``  ``cost prices`` and the price facts of ``models show``.
* ``budget_view``   ``cost budget``: spend against the budgets of ``claudecli.money.budget``.

Every price comes from the app context's price book; no module here imports the SDK or genai-prices at
module level.
"""
