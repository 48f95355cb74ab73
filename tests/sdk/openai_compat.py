"""The official `openai` Python SDK against a running gateway (driven by tests/it/sdk.rs).

Environment: LLMO_BASE_URL (gateway root), LLMO_KEY (a client key), LLMO_MODEL (a model
served by a healthy mock upstream), LLMO_CUT_MODEL (one whose upstream cuts streams),
LLMO_BUSY_MODEL (one whose upstream always answers 429). Prints one line per check and exits
non-zero on the first failure, naming it.
"""
import os
import sys

import openai
from openai import OpenAI

BASE = os.environ["LLMO_BASE_URL"].rstrip("/") + "/v1"
KEY = os.environ["LLMO_KEY"]
MODEL = os.environ["LLMO_MODEL"]
CUT = os.environ["LLMO_CUT_MODEL"]
BUSY = os.environ["LLMO_BUSY_MODEL"]
MESSAGES = [{"role": "user", "content": "Say hello"}]

# The SDK retries 429/5xx by itself; the gateway already did, so one try shows what it answers.
client = OpenAI(base_url=BASE, api_key=KEY, max_retries=0, timeout=20)


def expect_error(name, exc_type, fn):
    try:
        fn()
    except exc_type as e:
        print(f"ok   {name}: {type(e).__name__} {getattr(e, 'status_code', '')}")
        return e
    except Exception as e:  # noqa: BLE001 - report what came instead
        sys.exit(f"FAIL {name}: expected {exc_type.__name__}, got {type(e).__name__}: {e}")
    sys.exit(f"FAIL {name}: expected {exc_type.__name__}, got success")


def check(name, cond, detail=""):
    if not cond:
        sys.exit(f"FAIL {name}: {detail}")
    print(f"ok   {name}")


r = client.chat.completions.create(model=MODEL, messages=MESSAGES)
check("chat", bool(r.choices[0].message.content), r)
check("chat usage", r.usage is not None and r.usage.total_tokens > 0, r.usage)

chunks = list(
    client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
)
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("stream text", len(text) > 0, chunks)
check("stream usage chunk", chunks[-1].usage is not None, chunks[-1])

chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))
check("stream without usage asked has no usage chunk", all(c.choices for c in chunks), chunks[-1])

tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
r = client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=tools)
calls = r.choices[0].message.tool_calls or []
check("tools", len(calls) == 1 and calls[0].function.name == "get_weather", r)
check("tools finish reason", r.choices[0].finish_reason == "tool_calls", r)

e = client.embeddings.create(model=MODEL, input=["a", "b"], encoding_format="float")
check("embeddings", len(e.data) == 2 and len(e.data[0].embedding) > 0, e)

ids = [m.id for m in client.models.list()]
check("models list", MODEL in ids, ids)
check("model get", client.models.retrieve(MODEL).id == MODEL)

bad = OpenAI(base_url=BASE, api_key="sk-wrong", max_retries=0)
expect_error("bad key", openai.AuthenticationError, lambda: bad.models.list())
expect_error(
    "unknown model",
    openai.NotFoundError,
    lambda: client.chat.completions.create(model="no-such-model", messages=MESSAGES),
)
err = expect_error(
    "empty messages",
    openai.BadRequestError,
    lambda: client.chat.completions.create(model=MODEL, messages=[]),
)
check("error body names the field", err.body.get("param") == "messages", err.body)
expect_error(
    "upstream busy",
    openai.RateLimitError,
    lambda: client.chat.completions.create(model=BUSY, messages=MESSAGES),
)


def read_cut_stream():
    for _ in client.chat.completions.create(model=CUT, messages=MESSAGES, stream=True):
        pass


expect_error("stream cut mid-way", openai.APIError, read_cut_stream)
print("all SDK checks passed")
