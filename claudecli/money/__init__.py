"""What calls cost and what may still be spent.

* ``pricing``     rates (genai-prices or ``[prices]`` config) and the one cost arithmetic.
* ``price_cache`` resolved rates kept on disk, so pricing a call does not import genai-prices.
* ``pricer``      an in-memory rate lookup for many results at once (batches).
* ``budget`` / ``periods``  budgets: refuse a call that could overrun them; the calendar periods they cover.
"""
