"""The official `google-genai` Python SDK against a running gateway (driven by tests/it/sdk.rs).

Environment: LLMO_BASE_URL (gateway root), LLMO_KEY (a client key), LLMO_MODELS (comma-separated
models, one per upstream kind), LLMO_BUSY_MODEL (its upstream always answers 429),
LLMO_SLOW_MODEL (its upstream pauses longer than the gateway's keep-alive interval). Prints one
line per check and exits non-zero on the first failure, naming it.
"""
import os
import sys

from google import genai
from google.genai import errors, types

BASE = os.environ["LLMO_BASE_URL"].rstrip("/")
KEY = os.environ["LLMO_KEY"]
MODELS = os.environ["LLMO_MODELS"].split(",")
BUSY = os.environ["LLMO_BUSY_MODEL"]
SLOW = os.environ["LLMO_SLOW_MODEL"]


def client_with(key):
    return genai.Client(
        api_key=key,
        http_options=types.HttpOptions(
            base_url=BASE,
            api_version="v1beta",
            timeout=20_000,
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


client = client_with(KEY)
TOOLS = [
    types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather",
                description="Weather in a city",
                parameters_json_schema={
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            )
        ]
    )
]
TOOL_CONFIG = types.GenerateContentConfig(
    tools=TOOLS,
    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
)


def check(name, cond, detail=""):
    if not cond:
        sys.exit(f"FAIL {name}: {detail}")
    print(f"ok   {name}")


def expect_error(name, code, fn):
    try:
        fn()
    except errors.APIError as e:
        if e.code != code:
            sys.exit(f"FAIL {name}: expected {code}, got {e.code}: {e}")
        print(f"ok   {name}: {type(e).__name__} {e.code} {e.status}")
        return e
    except Exception as e:  # noqa: BLE001 - report what came instead
        sys.exit(f"FAIL {name}: expected an APIError {code}, got {type(e).__name__}: {e}")
    sys.exit(f"FAIL {name}: expected an APIError {code}, got success")


for model in MODELS:
    r = client.models.generate_content(model=model, contents="Say hello")
    check(f"{model} text", bool(r.text), r)
    check(f"{model} finish", r.candidates[0].finish_reason == types.FinishReason.STOP, r)
    check(f"{model} usage", r.usage_metadata.candidates_token_count > 0, r.usage_metadata)

    chunks = list(client.models.generate_content_stream(model=model, contents="Say hello"))
    text = "".join(c.text or "" for c in chunks)
    check(f"{model} stream text", len(text) > 0, chunks)
    check(f"{model} stream usage", chunks[-1].usage_metadata.candidates_token_count > 0, chunks[-1])

    r = client.models.generate_content(model=model, contents="Weather in Paris?", config=TOOL_CONFIG)
    calls = r.function_calls or []
    check(f"{model} tools", len(calls) == 1 and calls[0].name == "get_weather", r)
    check(f"{model} tool args", isinstance(calls[0].args, dict), calls[0])
    r2 = client.models.generate_content(
        model=model,
        contents=[
            types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
            r.candidates[0].content,
            types.Content(
                role="user",
                parts=[types.Part.from_function_response(name="get_weather", response={"temp": 20})],
            ),
        ],
        config=types.GenerateContentConfig(
            tools=TOOLS,
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(mode="NONE")
            ),
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        ),
    )
    check(f"{model} function response round trip", bool(r2.text), r2)

    chunks = list(
        client.models.generate_content_stream(model=model, contents="Weather?", config=TOOL_CONFIG)
    )
    calls = [c for ch in chunks for c in (ch.function_calls or [])]
    check(f"{model} streamed function call", len(calls) == 1 and isinstance(calls[0].args, dict), chunks)

chunks = list(client.models.generate_content_stream(model=SLOW, contents="Say hello"))
text = "".join(c.text or "" for c in chunks)
check("stream with keep-alives", text == "slow but steady", chunks)

n = client.models.count_tokens(model=MODELS[0], contents="hello world")
check("count tokens", n.total_tokens > 0, n)

bad = client_with("wrong")  # kept: a client closes when collected
expect_error("bad key", 401, lambda: bad.models.generate_content(model=MODELS[0], contents="x"))
expect_error("unknown model", 404,
             lambda: client.models.generate_content(model="no-such-model", contents="x"))
expect_error("upstream busy", 429,
             lambda: client.models.generate_content(model=BUSY, contents="x"))
print("all SDK checks passed")
