"""The official `anthropic` Python SDK against a running gateway (driven by tests/it/sdk.rs).

Environment: LLMO_BASE_URL (gateway root), LLMO_KEY (a client key), LLMO_MODELS (comma-separated
models, one per upstream kind), LLMO_CUT_MODEL (its upstream cuts streams), LLMO_BUSY_MODEL (its
upstream always answers 429), LLMO_SLOW_MODEL (its upstream pauses longer than the gateway's
keep-alive interval). Prints one line per check and exits non-zero on the first
failure, naming it.
"""
import os
import sys

import anthropic

BASE = os.environ["LLMO_BASE_URL"].rstrip("/")
KEY = os.environ["LLMO_KEY"]
MODELS = os.environ["LLMO_MODELS"].split(",")
CUT = os.environ["LLMO_CUT_MODEL"]
BUSY = os.environ["LLMO_BUSY_MODEL"]
SLOW = os.environ["LLMO_SLOW_MODEL"]
MESSAGES = [{"role": "user", "content": "Say hello"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather in a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]

client = anthropic.Anthropic(base_url=BASE, api_key=KEY, max_retries=0, timeout=20)


def check(name, cond, detail=""):
    if not cond:
        sys.exit(f"FAIL {name}: {detail}")
    print(f"ok   {name}")


def expect_error(name, exc_type, fn):
    try:
        fn()
    except exc_type as e:
        print(f"ok   {name}: {type(e).__name__} {getattr(e, 'status_code', '')}")
        return e
    except Exception as e:  # noqa: BLE001 - report what came instead
        sys.exit(f"FAIL {name}: expected {exc_type.__name__}, got {type(e).__name__}: {e}")
    sys.exit(f"FAIL {name}: expected {exc_type.__name__}, got success")


for model in MODELS:
    r = client.messages.create(model=model, max_tokens=64, messages=MESSAGES)
    check(f"{model} text", r.content[0].type == "text" and r.content[0].text, r)
    check(f"{model} stop reason", r.stop_reason == "end_turn", r)
    check(f"{model} usage", r.usage.output_tokens > 0 and r.usage.input_tokens > 0, r.usage)

    with client.messages.stream(model=model, max_tokens=64, messages=MESSAGES) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    check(f"{model} stream text", len(text) > 0 and final.content[0].text == text, final)
    check(f"{model} stream usage", final.usage.output_tokens > 0, final.usage)

    r = client.messages.create(model=model, max_tokens=64, messages=MESSAGES, tools=TOOLS)
    calls = [b for b in r.content if b.type == "tool_use"]
    check(f"{model} tools", len(calls) == 1 and calls[0].name == "get_weather", r)
    check(f"{model} tools stop reason", r.stop_reason == "tool_use", r)
    check(f"{model} tool input", isinstance(calls[0].input, dict), calls[0])
    r2 = client.messages.create(
        model=model,
        max_tokens=64,
        tools=TOOLS,
        tool_choice={"type": "none"},
        messages=[
            MESSAGES[0],
            {"role": "assistant", "content": r.content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": calls[0].id, "content": "sunny"}],
            },
        ],
    )
    check(f"{model} tool result round trip", r2.stop_reason == "end_turn" and r2.content, r2)

    with client.messages.stream(model=model, max_tokens=64, messages=MESSAGES, tools=TOOLS) as s:
        final = s.get_final_message()
    calls = [b for b in final.content if b.type == "tool_use"]
    check(f"{model} streamed tool input", len(calls) == 1 and isinstance(calls[0].input, dict), final)

with client.messages.stream(model=SLOW, max_tokens=64, messages=MESSAGES) as s:
    text = "".join(s.text_stream)
check("stream with keep-alive pings", text == "slow but steady", text)

ids = [m.id for m in client.models.list()]
check("models list", all(m in ids for m in MODELS), ids)
check("model get", client.models.retrieve(MODELS[0]).id == MODELS[0])

n = client.messages.count_tokens(model=MODELS[0], messages=MESSAGES)
check("count tokens", n.input_tokens > 0, n)

bad = anthropic.Anthropic(base_url=BASE, api_key="sk-wrong", max_retries=0)
expect_error("bad key", anthropic.AuthenticationError,
             lambda: bad.messages.create(model=MODELS[0], max_tokens=8, messages=MESSAGES))
expect_error("unknown model", anthropic.NotFoundError,
             lambda: client.messages.create(model="no-such-model", max_tokens=8, messages=MESSAGES))
expect_error("upstream busy", anthropic.RateLimitError,
             lambda: client.messages.create(model=BUSY, max_tokens=8, messages=MESSAGES))


def read_cut_stream():
    with client.messages.stream(model=CUT, max_tokens=64, messages=MESSAGES) as s:
        for _ in s.text_stream:
            pass


expect_error("stream cut mid-way", anthropic.APIError, read_cut_stream)
print("all SDK checks passed")
