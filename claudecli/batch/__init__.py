"""``claudecli batch``: Message Batches from a crontab, and the same jobs in real time.

Modules, in the order a submission flows through them:

* ``inputs`` / ``shapes`` / ``ids`` — read a JSONL file (three line shapes), validate every line and turn it
  into a canonical ``{"custom_id", "params"}`` request; problems are ``FILE:LINE: reason``.
* ``spool`` — the canonical requests on disk, split into batches by count and bytes, streamed as the
  request body (so memory does not grow with the input).
* ``estimate`` — the worst-case cost before sending (results are priced by ``app_ctx.prices``).
* ``journal`` / ``journal_rows`` / ``journal_schema`` / ``scope`` / ``lock`` — the SQLite journal of submissions
  (cron safety), its row types and migrations, the profile and base URL each belongs to, and the file locks
  around it (and around a ``batch run -o FILE``).
* ``remote`` — every SDK call of this package.
* ``submit`` / ``create`` / ``reconcile`` — submit idempotently; never create a batch twice; recover a batch
  whose id was never journaled.
* ``output`` / ``results`` / ``booking`` / ``collect`` — stream results to disk, book them in the ledger once.
* ``manage`` / ``watch`` — list, status, results, cancel, delete; polling with a progress bar on a terminal.
* ``run_plan`` / ``runner`` / ``runner_calls`` / ``retry`` / ``resume`` — ``batch run``: the same input, checked
  (valid, not yet answered, within budget) before anything is sent, then executed now, concurrently; resumed from
  what its output file already holds. ``tool_lines``: with tool flags, each line
  one tool loop, in order.
* ``flows`` — what each subcommand prints and returns (``claudecli.cli.batch_cmd`` only wires options).
"""
