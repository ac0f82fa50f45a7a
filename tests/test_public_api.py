"""The public surface: ``gloo_ai.__all__`` is pinned, documented, typed and versioned."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import itertools
from pathlib import Path
from types import ModuleType

import pytest

import gloo_ai
import gloo_ai.types.chat
import gloo_ai.types.embeddings
import gloo_ai.types.ingestion
import gloo_ai.types.items
import gloo_ai.types.responses

PACKAGE_DIR = Path(gloo_ai.__file__).parent

EXPECTED_ALL = [
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncGloo",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletionAccumulator",
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
    "ConfigurationError",
    "ConflictError",
    "FileContent",
    "FileInput",
    "FunctionTool",
    "Gloo",
    "GlooError",
    "GroundedChatCompletionStream",
    "GroundedChatCompletionStreamManager",
    "GroundedCompletionAccumulator",
    "IncompleteStreamError",
    "IngestionTimeoutError",
    "Instrumentation",
    "InternalServerError",
    "InvalidArgumentError",
    "LengthFinishReasonError",
    "Model",
    "ModelCapabilityWarning",
    "ModelCatalog",
    "ModelUsage",
    "MultipartBody",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "ParsedToolCall",
    "PermissionDeniedError",
    "RateLimitError",
    "RedactingFilter",
    "ResponseParseError",
    "ResponseStream",
    "ResponseStreamManager",
    "ResponseTooLargeError",
    "RetryPolicy",
    "Surface",
    "Timeout",
    "TokenExchangeError",
    "TokenMetrics",
    "TokenUnavailableError",
    "ToolArgumentsError",
    "ToolCallLimitError",
    "ToolLoopLimitError",
    "ToolRunResult",
    "UnknownToolError",
    "UnknownValueWarning",
    "UnprocessableEntityError",
    "UsageTotals",
    "__version__",
    "assistant_message",
    "display_stream",
    "function_tool",
    "instrument",
    "parse_tool_call",
    "setup_logging",
    "tool_result",
    "uninstrument",
]

EXPECTED_CHAT_ALL = [
    "AssistantMessage",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCall",
    "ChatCompletionStreamEvent",
    "ChatCompletionToolParam",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
    "ChunkEvent",
    "Citation",
    "CitationsEvent",
    "CompletionCreateKwargs",
    "CompletionParseKwargs",
    "CompletionRunToolsKwargs",
    "CompletionUsage",
    "CompletionV1CreateKwargs",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "FinishReason",
    "Function",
    "FunctionDefinition",
    "GroundedChatCompletion",
    "GroundedChatCompletionChunk",
    "GroundedChatCompletionStreamEvent",
    "GroundedCompletionCreateKwargs",
    "ModelFamily",
    "NamedToolChoice",
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "RoutingMechanism",
    "RoutingMetadata",
    "StreamOptions",
    "SystemMessage",
    "ToolCallArgumentsDeltaEvent",
    "ToolCallDoneEvent",
    "ToolCallFunctionParam",
    "ToolCallParam",
    "ToolChoice",
    "ToolMessage",
    "Tradition",
    "UsageEvent",
    "UserMessage",
]


def attribute_docstrings(package: Path) -> dict[str, str]:
    """Module-level ``NAME = ...`` assignments followed by a string literal, in a package."""
    found: dict[str, str] = {}
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        body = tree.body
        for node, following in itertools.pairwise(body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            elif isinstance(node, ast.AnnAssign):
                target = node.target
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[target.id] = following.value.value
    return found


def documentation_of(module: ModuleType, name: str) -> str:
    """The docstring of a public name: its own for classes and functions, else the attribute
    docstring under its definition (type aliases cannot carry a ``__doc__`` of their own)."""
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return inspect.getdoc(obj) or ""
    if isinstance(obj, gloo_ai.NotGiven):
        return inspect.getdoc(gloo_ai.NotGiven) or ""
    return attribute_docstrings(PACKAGE_DIR).get(name, "")


def test_all_is_pinned() -> None:
    assert sorted(gloo_ai.__all__) == EXPECTED_ALL


def test_all_has_no_duplicates() -> None:
    assert len(gloo_ai.__all__) == len(set(gloo_ai.__all__))


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_every_public_name_is_importable(name: str) -> None:
    module = importlib.import_module("gloo_ai")
    assert hasattr(module, name)
    namespace: dict[str, object] = {}
    exec(f"from gloo_ai import {name}", namespace)
    assert namespace[name] is getattr(gloo_ai, name)


@pytest.mark.parametrize("name", [n for n in EXPECTED_ALL if n != "__version__"])
def test_every_public_name_is_documented(name: str) -> None:
    assert documentation_of(gloo_ai, name).strip(), f"gloo_ai.{name} has no docstring"


def test_not_given_is_documented_and_falsy() -> None:
    assert (gloo_ai.NotGiven.__doc__ or "").strip()
    assert isinstance(gloo_ai.NOT_GIVEN, gloo_ai.NotGiven)
    assert gloo_ai.NotGiven() is gloo_ai.NOT_GIVEN
    assert not gloo_ai.NOT_GIVEN
    assert repr(gloo_ai.NOT_GIVEN) == "NOT_GIVEN"


def test_public_classes_document_their_public_methods() -> None:
    for name in (
        "AsyncGloo",
        "AsyncStream",
        "APIResponse",
        "AsyncPaginator",
        "AsyncPage",
        "Instrumentation",
    ):
        cls = getattr(gloo_ai, name)
        for attr, member in vars(cls).items():
            if attr.startswith("_"):
                continue
            target = member.fget if isinstance(member, property) else member
            target = getattr(target, "func", target)  # cached_property
            if callable(target):
                assert (target.__doc__ or "").strip(), f"{name}.{attr} has no docstring"


def test_the_module_is_documented() -> None:
    assert (gloo_ai.__doc__ or "").strip()
    assert "AsyncGloo" in (gloo_ai.__doc__ or "")


def test_version_matches_the_installed_distribution() -> None:
    assert isinstance(gloo_ai.__version__, str)
    assert gloo_ai.__version__ == importlib.metadata.version("gloo-ai")


def test_version_is_pep_440_like() -> None:
    parts = gloo_ai.__version__.split(".")
    assert len(parts) >= 3
    assert all(p.isdigit() for p in parts[:2])


def test_py_typed_marker_exists() -> None:
    assert (PACKAGE_DIR / "py.typed").is_file()


def test_error_hierarchy_is_public() -> None:
    assert issubclass(gloo_ai.APIError, gloo_ai.GlooError)
    assert issubclass(gloo_ai.APIStatusError, gloo_ai.APIError)
    assert issubclass(gloo_ai.TokenExchangeError, gloo_ai.AuthenticationError)
    assert issubclass(gloo_ai.APITimeoutError, gloo_ai.APIConnectionError)
    assert issubclass(gloo_ai.TokenUnavailableError, gloo_ai.APIConnectionError)
    assert issubclass(gloo_ai.InvalidArgumentError, gloo_ai.GlooError)
    assert issubclass(gloo_ai.ConfigurationError, gloo_ai.GlooError)


def test_chat_types_all_is_pinned() -> None:
    assert sorted(gloo_ai.types.chat.__all__) == EXPECTED_CHAT_ALL


@pytest.mark.parametrize("name", EXPECTED_CHAT_ALL)
def test_every_chat_type_is_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from gloo_ai.types.chat import {name}", namespace)
    assert namespace[name] is getattr(gloo_ai.types.chat, name)


@pytest.mark.parametrize("name", EXPECTED_CHAT_ALL)
def test_every_chat_type_is_documented(name: str) -> None:
    assert documentation_of(gloo_ai.types.chat, name).strip(), (
        f"gloo_ai.types.chat.{name} has no docstring"
    )


def test_the_instrumentation_module_is_public_and_pinned() -> None:
    import gloo_ai.instrumentation

    assert sorted(gloo_ai.instrumentation.__all__) == [
        "Instrumentation",
        "instrument",
        "uninstrument",
    ]
    for name in gloo_ai.instrumentation.__all__:
        assert getattr(gloo_ai.instrumentation, name) is getattr(gloo_ai, name)


def test_the_tools_module_is_public_and_pinned() -> None:
    import gloo_ai.tools

    assert sorted(gloo_ai.tools.__all__) == [
        "FunctionTool",
        "ParsedToolCall",
        "ToolArgumentsError",
        "ToolCallLike",
        "UnknownToolError",
        "function_tool",
        "parse_tool_call",
    ]
    for name in ("FunctionTool", "function_tool", "parse_tool_call", "ToolArgumentsError"):
        assert getattr(gloo_ai.tools, name) is getattr(gloo_ai, name)


EXPECTED_ITEMS_ALL = [
    "EDITABLE_BOOL_FIELDS",
    "EDITABLE_LIST_FIELDS",
    "EDITABLE_STRING_FIELDS",
    "BulkUpdateItemResult",
    "BulkUpdateResult",
    "CollectionMembership",
    "DeleteItemResult",
    "DeleteResult",
    "DeletedFrom",
    "EditableField",
    "Item",
    "ItemFilter",
    "ItemFilterParam",
    "ItemPatchOp",
    "ItemPatchOpParam",
    "ItemStatus",
    "ItemSummary",
    "ItemUpdateKwargs",
    "ItemUpdateParams",
    "ItemUpdateResult",
    "PatchOpKind",
    "ReadOptions",
]

EXPECTED_INGESTION_ALL = [
    "ProcessingResult",
    "RealTimeUploadKwargs",
    "RealTimeUploadParams",
    "RealTimeUploadResult",
    "UploadResult",
]

_AREA_TYPES = [(gloo_ai.types.items, name) for name in EXPECTED_ITEMS_ALL] + [
    (gloo_ai.types.ingestion, name) for name in EXPECTED_INGESTION_ALL
]


def test_data_engine_and_ingestion_types_are_pinned() -> None:
    assert sorted(gloo_ai.types.items.__all__) == sorted(EXPECTED_ITEMS_ALL)
    assert sorted(gloo_ai.types.ingestion.__all__) == sorted(EXPECTED_INGESTION_ALL)


@pytest.mark.parametrize(("module", "name"), _AREA_TYPES)
def test_every_data_engine_type_is_importable_and_documented(module: ModuleType, name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module.__name__} import {name}", namespace)
    assert namespace[name] is getattr(module, name)
    assert documentation_of(module, name).strip(), f"{module.__name__}.{name} has no docstring"


def test_the_ingestion_timeout_is_a_gloo_error_and_a_timeout() -> None:
    assert issubclass(gloo_ai.IngestionTimeoutError, gloo_ai.GlooError)
    assert issubclass(gloo_ai.IngestionTimeoutError, TimeoutError)


EXPECTED_RESPONSES_ALL = [
    "Response",
    "ResponseCompletedEvent",
    "ResponseContent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreateKwargs",
    "ResponseCreateParams",
    "ResponseCreatedEvent",
    "ResponseError",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseFunctionCallOutputParam",
    "ResponseFunctionCallParam",
    "ResponseFunctionToolCall",
    "ResponseFunctionToolParam",
    "ResponseImageGenerationCall",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseInputImageParam",
    "ResponseInputItemParam",
    "ResponseInputMessageParam",
    "ResponseInputTextParam",
    "ResponseNamedToolChoice",
    "ResponseOutputItem",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseOutputText",
    "ResponseOutputTextParam",
    "ResponseReasoningItem",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseToolChoice",
    "ResponseToolParam",
    "ResponseUnknownContent",
    "ResponseUnknownEvent",
    "ResponseUnknownItem",
    "ResponseUsage",
]

EXPECTED_EMBEDDINGS_ALL = [
    "CreateEmbeddingResponse",
    "DEFAULT_EMBEDDING_MODEL",
    "Embedding",
    "EmbeddingCreateKwargs",
    "EmbeddingCreateParams",
    "EmbeddingUsage",
]

_RESPONSES_TYPES = [(gloo_ai.types.responses, name) for name in EXPECTED_RESPONSES_ALL] + [
    (gloo_ai.types.embeddings, name) for name in EXPECTED_EMBEDDINGS_ALL
]


def test_responses_and_embeddings_types_are_pinned() -> None:
    assert sorted(gloo_ai.types.responses.__all__) == EXPECTED_RESPONSES_ALL
    assert sorted(gloo_ai.types.embeddings.__all__) == EXPECTED_EMBEDDINGS_ALL


@pytest.mark.parametrize(("module", "name"), _RESPONSES_TYPES)
def test_every_responses_and_embeddings_type_is_importable_and_documented(
    module: ModuleType, name: str
) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module.__name__} import {name}", namespace)
    assert namespace[name] is getattr(module, name)
    assert documentation_of(module, name).strip(), f"{module.__name__}.{name} has no docstring"
