"""Read a Stream Analytics VS Code project (asaproj.json): query, JobConfig, Azure ML functions and
JavaScript functions (`Functions/<name>.js.json` with subType JSFunction, its code in `<name>.js`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments.unique_keys import loads_json
from streaming.engine import EngineError, EventOrdering, FunctionBinding, JavaScriptFunction
from streaming.querytest.errors import QueryTestError


@dataclass(frozen=True)
class Project:
    path: Path
    query_file: Path
    query: str
    ordering: EventOrdering
    functions: dict[str, FunctionBinding | JavaScriptFunction]

    @property
    def bindings(self) -> dict[str, FunctionBinding]:
        """The Azure ML functions (answered by the scoring stand-in in tests)."""
        return {name: f for name, f in self.functions.items() if isinstance(f, FunctionBinding)}


def read_json(path: Path) -> Any:
    try:
        return loads_json(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise QueryTestError(f"{path}: cannot read: {exc}") from exc
    except ValueError as exc:
        raise QueryTestError(f"{path}: not JSON: {exc}") from exc


def _require(data: Any, key: str, path: Path) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise QueryTestError(f"{path}: missing key {key!r}")
    return data[key]


def load_project(path: Path) -> Project:
    """The project's start file, event ordering (JobConfig subType) and function bindings (MLFunction)."""
    data = read_json(path)
    folder = path.parent
    query_file = folder / _require(data, "startFile", path)
    try:
        query = query_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryTestError(f"{path}: startFile {query_file}: cannot read: {exc}") from exc
    ordering = EventOrdering()
    functions: dict[str, FunctionBinding | JavaScriptFunction] = {}
    for index, entry in enumerate(_require(data, "configurations", path)):
        sub_type = _require(entry, "subType", path)
        file = folder / _require(entry, "filePath", path)
        if sub_type == "JobConfig":
            ordering = _ordering(read_json(file), file)
        elif sub_type == "MLFunction":
            binding = _function(read_json(file), file)
            functions[binding.name] = binding
        elif sub_type == "JSFunction":
            script = _javascript_function(read_json(file), file, f"{path}: configurations[{index}]")
            functions[script.name] = script
        elif sub_type == "CSharpFunction":
            raise QueryTestError(
                f"{path}: configurations[{index}]: {sub_type} is not supported by the local engine"
            )
    return Project(path, query_file, query, ordering, functions)


def _javascript_function(config: Any, path: Path, where: str) -> JavaScriptFunction:
    """`<name>.js.json` ({Name, Type, FunctionInputs, OutputType}) and its code, `<name>.js` beside it."""
    kind = config.get("Type", "Scalar") if isinstance(config, dict) else None
    if kind not in ("Scalar", "Aggregate"):
        raise QueryTestError(f"{where}: {path}: Type must be Scalar or Aggregate, not {kind!r}")
    code = path.with_name(path.name.removesuffix(".json"))
    if code == path:
        raise QueryTestError(f"{path}: a JSFunction configuration is named <function>.js.json")
    try:
        source = code.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise QueryTestError(f"{path}: the function's code {code}: cannot read: {exc}") from exc
    inputs = config.get("FunctionInputs")
    try:
        return JavaScriptFunction(
            name=_require(config, "Name", path),
            source=source,
            output_type=str(config.get("OutputType") or "any"),
            inputs=len(inputs) if isinstance(inputs, list) else None,
            origin=str(code),
            aggregate=kind == "Aggregate",
        )
    except EngineError as exc:
        raise QueryTestError(str(exc)) from exc


def _ordering(config: Any, path: Path) -> EventOrdering:
    policy = config.get("EventsOutOfOrderPolicy", "Adjust")
    if policy not in ("Adjust", "Drop"):
        raise QueryTestError(f"{path}: EventsOutOfOrderPolicy must be Adjust or Drop, not {policy!r}")
    try:
        return EventOrdering(
            int(config.get("EventsLateArrivalMaxDelayInSeconds", 5)),
            int(config.get("EventsOutOfOrderMaxDelayInSeconds", 0)),
            policy,
        )
    except (TypeError, ValueError) as exc:
        raise QueryTestError(f"{path}: event ordering delays must be integers: {exc}") from exc


def _function(config: Any, path: Path) -> FunctionBinding:
    binding = _require(config, "Binding", path)
    inputs = _require(binding, "Inputs", path)
    return FunctionBinding(
        name=_require(config, "Name", path),
        endpoint=_require(binding, "Endpoint", path),
        input_request_name=binding.get("InputRequestName") or "Inputs",
        input_name=inputs[0]["Name"] if inputs else "data",
        output_response_name=binding.get("OutputResponseName") or "Results",
        batch_size=int(binding.get("BatchSize", 1000)),
        parallel_requests=int(binding.get("NumberOfParallelRequests", 1)),
    )
