"""``claudecli ask``: one prompt in, one answer out.

* ``prepare``  ask's options turned into a ready-to-send call.
* ``run``      the call, streamed to stdout (or one ``--json`` document), and its summary.
* ``loop_run`` with tools: the tool loop, traces on stderr, the final answer alone on stdout.
"""
