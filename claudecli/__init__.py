"""claudecli: chat with Claude, script Claude calls, run Message Batches, and see what every call costs."""

__version__ = "0.1.0"
