"""A fake Anthropic HTTP API for tests: a real local server the official SDK can talk to.

    from tests.fakeapi import FakeAnthropic, Fault

    with FakeAnthropic() as fake:
        client = anthropic.Anthropic(api_key="sk-ant-test", base_url=fake.base_url)
        fake.enqueue(Fault.status(429, "rate_limit_error", headers={"retry-after-ms": "10"}))
        client.messages.create(model="claude-opus-5-5", max_tokens=100, messages=[...])

See server.py for the test controls, replies.py for the prompt directives (`[[words:N]]`, `[[tool]]`…),
tool_replies.py for tool use (`[[call:NAME {…}]]`, `[[search:Q]]`, `[[pause]]`…) and tool_validation.py for the
API's tool_use/tool_result pairing rules,
tokens.py for the token-counting rule and caching.py for prompt-cache accounting.
"""

from .faults import Fault
from .server import FakeAnthropic, RecordedRequest

__all__ = ["FakeAnthropic", "Fault", "RecordedRequest"]
