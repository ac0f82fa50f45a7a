"""Arguments declared once per method family: misspelt or missing ones are refused before
any I/O with a clear `InvalidArgumentError`, and unknown ``tradition`` values are tolerated.

The static half (mypy refusing the same typos) is tests/typing/check_chat_params.py.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
import respx
from pydantic import BaseModel

from gloo_ai import AsyncGloo, InvalidArgumentError, UnknownValueWarning
from gloo_ai._call_options import (
    CallOptions,
    UnexpectedArgumentError,
    check_arguments,
    split_call_options,
)
from gloo_ai.types.chat import (
    CompletionCreateKwargs,
    CompletionParseKwargs,
    CompletionRunToolsKwargs,
    CompletionV1CreateKwargs,
)
from gloo_ai.types.chat.grounded_create_params import (
    GroundedCompletionCreateKwargs,
    GroundedCompletionCreateParams,
)
from gloo_ai.types.chat.params import CompletionCreateParams, CompletionV1CreateParams
from tests.conftest import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, V1_URL, V2_URL, completion_json

MESSAGES = [{"role": "user", "content": "What is grace?"}]
CALL_OPTIONS = {
    "extra_headers",
    "extra_query",
    "extra_body",
    "timeout",
    "max_retries",
    "max_rate_limit_retries",
    "retry_read_errors",
}


class Verse(BaseModel):
    reference: str
    text: str


def forecast(city: str) -> str:
    """The forecast for a city."""
    return "sunny"


class Routes:
    def __init__(self, router: respx.MockRouter) -> None:
        self.token = router.post(TOKEN_URL).respond(
            200, json={"access_token": "tok", "expires_in": 3600, "token_type": "Bearer"}
        )
        self.v2 = router.post(V2_URL).respond(200, json=completion_json())
        self.v1 = router.post(V1_URL).respond(200, json=completion_json())

    def nothing_sent(self) -> bool:
        return self.token.call_count == 0 and self.v2.call_count == 0 and self.v1.call_count == 0


@pytest.fixture
def routes() -> Iterator[Routes]:
    with respx.mock(assert_all_called=False) as router:
        yield Routes(router)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncGloo]:
    # Client credentials, so that "nothing sent" covers the token request too.
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        yield client


# --------------------------------------------------------------------------- the checker


_Spec = CompletionV1CreateKwargs


def test_a_misspelt_argument_names_the_close_match() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_arguments("chat.completions.parse", {"messages": [], "temprature": 0.3}, _Spec)
    assert str(info.value) == (
        "chat.completions.parse() got an unexpected argument 'temprature'; "
        "did you mean 'temperature'?"
    )


def test_every_unknown_argument_is_named() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_arguments("f", {"messages": [], "temprature": 1, "max_token": 2}, _Spec)
    assert str(info.value) == (
        "f() got unexpected arguments: 'temprature'; did you mean 'temperature'?, "
        "'max_token'; did you mean 'max_tokens'?"
    )


def test_without_a_close_match_the_allowed_names_are_listed() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_arguments("f", {"messages": [], "zzz": 1}, _Spec)
    assert str(info.value) == (
        "f() got an unexpected argument 'zzz'. It takes: extra_body, extra_headers, "
        "extra_query, max_rate_limit_retries, max_retries, max_tokens, messages, model, "
        "retry_read_errors, temperature, timeout, tool_choice, tools."
    )


def test_the_method_s_other_parameters_are_offered_as_matches() -> None:
    with pytest.raises(InvalidArgumentError, match="did you mean 'max_steps'"):
        check_arguments("f", {"messages": [], "max_step": 3}, _Spec, also=["max_steps"])


def test_a_missing_required_argument_is_named() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_arguments("chat.completions.create", {"temperature": 1}, _Spec)
    assert str(info.value) == (
        "chat.completions.create() is missing the required argument 'messages'."
    )


def test_the_error_is_also_a_type_error_like_python_s_own() -> None:
    assert issubclass(UnexpectedArgumentError, InvalidArgumentError)
    assert issubclass(UnexpectedArgumentError, TypeError)
    assert issubclass(UnexpectedArgumentError, ValueError)


def test_split_call_options() -> None:
    fields, options = split_call_options({"messages": [], "timeout": 3, "extra_body": {}})
    assert fields == {"messages": []}
    assert options == {"timeout": 3, "extra_body": {}}
    assert CallOptions.__optional_keys__ == CALL_OPTIONS


# --------------------------------------------------------------- the declarations agree


@pytest.mark.parametrize(
    ("spec", "model", "left_out"),
    [
        (CompletionCreateKwargs, CompletionCreateParams, set()),
        (CompletionParseKwargs, CompletionCreateParams, {"response_format"}),
        (CompletionRunToolsKwargs, CompletionCreateParams, {"tools"}),
        (CompletionV1CreateKwargs, CompletionV1CreateParams, set()),
        (GroundedCompletionCreateKwargs, GroundedCompletionCreateParams, {"response_format"}),
    ],
)
def test_each_family_declares_the_request_model_s_fields(
    spec: Any, model: type[BaseModel], left_out: set[str]
) -> None:
    """The TypedDicts (what mypy and the run-time check allow) and the request models (what
    validates the values) list the same fields, but ``stream`` (its own parameter) and, on
    v2, ``surface`` (which picks the path, and is not sent)."""
    assert spec.__required_keys__ == {"messages"}
    names = spec.__required_keys__ | spec.__optional_keys__
    sent_elsewhere = {"surface"} if spec is not CompletionV1CreateKwargs else set()
    assert (
        names == (set(model.model_fields) - {"stream"} - left_out) | CALL_OPTIONS | sent_elsewhere
    )


# ------------------------------------------------------------------ each method, misspelt


@pytest.mark.asyncio
async def test_create_refuses_a_misspelt_argument(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await client.chat.completions.create(messages=MESSAGES, temprature=0.3)  # type: ignore[call-overload]
    assert str(info.value) == (
        "chat.completions.create() got an unexpected argument 'temprature'; "
        "did you mean 'temperature'?"
    )
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_create_suggests_stream(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError, match="'straem'; did you mean 'stream'"):
        await client.chat.completions.create(messages=MESSAGES, straem=True)  # type: ignore[call-overload]
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_parse_refuses_a_misspelt_argument(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await client.chat.completions.parse(
            response_format=Verse,
            messages=MESSAGES,
            temprature=0.3,  # type: ignore[call-arg]
        )
    assert str(info.value) == (
        "chat.completions.parse() got an unexpected argument 'temprature'; "
        "did you mean 'temperature'?"
    )
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_stream_refuses_a_misspelt_argument_at_once(
    routes: Routes, client: AsyncGloo
) -> None:
    with pytest.raises(InvalidArgumentError, match="'tradtion'; did you mean 'tradition'"):
        client.chat.completions.stream(messages=MESSAGES, tradtion="catholic")  # type: ignore[call-arg]
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_stream_takes_no_stream_argument(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError, match="always streams"):
        client.chat.completions.stream(messages=MESSAGES, stream=True)  # type: ignore[call-arg]
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_run_tools_refuses_a_misspelt_argument(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await client.chat.completions.run_tools(
            messages=MESSAGES,
            tools=[forecast],
            modle="gloo-openai-gpt-5-mini",  # type: ignore[call-arg]
        )
    assert str(info.value) == (
        "chat.completions.run_tools() got an unexpected argument 'modle'; did you mean 'model'?"
    )
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_run_tools_suggests_its_own_parameters(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError, match="'max_step'; did you mean 'max_steps'"):
        await client.chat.completions.run_tools(
            messages=MESSAGES,
            tools=[forecast],
            max_step=3,  # type: ignore[call-arg]
        )
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_v1_refuses_a_misspelt_argument_without_a_deprecation_warning(
    routes: Routes, client: AsyncGloo
) -> None:
    # pytest turns warnings into errors: a DeprecationWarning here would fail the test.
    with pytest.raises(InvalidArgumentError, match="'max_token'; did you mean 'max_tokens'"):
        await client.chat.completions_v1.create(messages=MESSAGES, max_token=5)  # type: ignore[call-overload]
    assert routes.nothing_sent()


@pytest.mark.asyncio
async def test_raw_response_create_refuses_a_misspelt_argument(
    routes: Routes, client: AsyncGloo
) -> None:
    with pytest.raises(InvalidArgumentError, match="did you mean 'temperature'"):
        await client.chat.completions.with_raw_response.create(
            messages=MESSAGES,
            temprature=0.3,
        )
    assert routes.nothing_sent()


async def call_without_messages(client: AsyncGloo, method: str) -> None:
    completions = client.chat.completions
    kwargs: dict[str, Any] = {"temperature": 0.5}
    if method == "create":
        await completions.create(**kwargs)
    elif method == "parse":
        await completions.parse(response_format=Verse, **kwargs)
    elif method == "stream":
        completions.stream(**kwargs)  # refused at the call, before the ``async with``
    elif method == "run_tools":
        await completions.run_tools(tools=[forecast], **kwargs)
    else:
        await client.chat.completions_v1.create(**kwargs)


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["create", "parse", "stream", "run_tools", "v1"])
async def test_messages_is_required(routes: Routes, client: AsyncGloo, method: str) -> None:
    with pytest.raises(InvalidArgumentError, match="missing the required argument 'messages'"):
        await call_without_messages(client, method)
    assert routes.nothing_sent()


# --------------------------------------------------------------------- unknown traditions


@pytest.mark.asyncio
async def test_an_unknown_tradition_is_sent_with_a_warning(
    routes: Routes, client: AsyncGloo
) -> None:
    with pytest.warns(UnknownValueWarning, match="tradition='orthodox'") as record:
        completion = await client.chat.completions.create(
            messages=MESSAGES,
            tradition="orthodox",  # type: ignore[arg-type]
        )
    assert completion.choices
    body = routes.v2.calls.last.request.content
    assert b'"tradition":"orthodox"' in body.replace(b" ", b"")
    assert issubclass(UnknownValueWarning, UserWarning)
    # Attributed to this line, not to gloo_ai or pydantic.
    assert len(record) == 1
    assert record[0].filename == __file__


@pytest.mark.asyncio
async def test_an_unknown_tradition_warning_points_at_the_caller_of_parse(
    routes: Routes, client: AsyncGloo
) -> None:
    routes.v2.respond(
        200,
        json=completion_json(content='{"reference": "Romans 5:8", "text": "But God..."}'),
    )
    with pytest.warns(UnknownValueWarning) as record:
        await client.chat.completions.parse(
            response_format=Verse,
            messages=MESSAGES,
            tradition="orthodox",  # type: ignore[arg-type]
        )
    assert record[0].filename == __file__


@pytest.mark.asyncio
@pytest.mark.parametrize("tradition", ["evangelical", "catholic", "mainline", "not_faith_specific"])
async def test_known_traditions_do_not_warn(
    routes: Routes, client: AsyncGloo, tradition: Any
) -> None:
    await client.chat.completions.create(messages=MESSAGES, tradition=tradition)
    assert routes.v2.call_count == 1


@pytest.mark.asyncio
async def test_a_tradition_that_is_not_a_string_is_still_refused(
    routes: Routes, client: AsyncGloo
) -> None:
    with pytest.raises(InvalidArgumentError, match="tradition"):
        await client.chat.completions.create(messages=MESSAGES, tradition=3)  # type: ignore[arg-type]
    assert routes.nothing_sent()


def test_an_unknown_value_warning_can_be_silenced() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UnknownValueWarning)
        params = CompletionCreateParams.model_validate(
            {"messages": MESSAGES, "tradition": "orthodox"}
        )
    assert params.tradition == "orthodox"


@pytest.mark.asyncio
async def test_an_empty_tradition_is_refused(routes: Routes, client: AsyncGloo) -> None:
    with pytest.raises(InvalidArgumentError, match="tradition"):
        await client.chat.completions.create(messages=MESSAGES, tradition="")  # type: ignore[arg-type]
    assert routes.nothing_sent()
