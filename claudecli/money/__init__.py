"""What calls cost and what may still be spent.

* ``pricing``     rates (genai-prices or ``[prices]`` config) and the one cost arithmetic.
* ``price_book``  the one rate lookup: in memory and on disk, so a priced call needs no genai-prices import.
                  The app context holds one (``app_ctx.prices``); every price in the program comes from it.
* ``budget`` / ``periods``  budgets: refuse a call that could overrun them; the calendar periods they cover.
"""
