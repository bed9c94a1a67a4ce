"""`claudecli cost`: estimates before a call, reports after, price tables and budget status.

Every module here imports the SDK and genai-prices lazily, inside the functions that need them.
"""
