"""Read a rendered ASA project (VS Code format): asaproj.json, JobConfig.json, Inputs/, Outputs/, Functions/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from environments.unique_keys import loads_json
from streaming.reference_data import FORMATS
from streaming.runtime.errors import ProjectError


@dataclass(frozen=True)
class EventHubInput:
    alias: str
    namespace: str
    hub: str
    consumer_group: str
    partitions: int


@dataclass(frozen=True)
class ReferenceInput:
    """A blob reference input: the blobs of `container` whose names match `path_pattern`."""

    alias: str
    account: str
    container: str
    path_pattern: str
    date_format: str
    time_format: str
    serialization: Literal["Json", "Csv"]
    field_delimiter: str = ","


@dataclass(frozen=True)
class EventHubOutput:
    alias: str
    namespace: str
    hub: str
    partition_key: str | None


@dataclass(frozen=True)
class BlobOutput:
    alias: str
    account: str
    container: str
    path_pattern: str
    date_format: str
    time_format: str


@dataclass(frozen=True)
class MLFunction:
    alias: str
    endpoint: str
    input_request_name: str
    input_name: str
    output_response_name: str
    batch_size: int
    parallel_requests: int


@dataclass(frozen=True)
class JobConfig:
    late_arrival_max_delay_s: int
    out_of_order_max_delay_s: int
    out_of_order_policy: Literal["Adjust", "Drop"]
    output_error_policy: str
    streaming_units: int = 1


@dataclass(frozen=True)
class Project:
    """Everything the runtime needs from the rendered project."""

    folder: Path
    name: str
    query: str
    job: JobConfig
    inputs: tuple[EventHubInput, ...]
    eventhub_outputs: tuple[EventHubOutput, ...]
    blob_outputs: tuple[BlobOutput, ...]
    functions: tuple[MLFunction, ...]
    references: tuple[ReferenceInput, ...] = ()


def _read(path: Path) -> dict[str, Any]:
    try:
        document = loads_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProjectError(
            f"{path}: listed by asaproj.json but missing (render the environment first)"
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ProjectError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(document, dict):
        raise ProjectError(f"{path}: expected a JSON object")
    return document


def _key(document: dict[str, Any], path: Path, *keys: str) -> Any:
    node: Any = document
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            raise ProjectError(f"{path}: missing key {'.'.join(keys[: depth + 1])}")
        node = node[key]
    return node


def _input(document: dict[str, Any], path: Path) -> EventHubInput | ReferenceInput:
    if str(document.get("Type", "Data Stream")).casefold() == "reference data":
        return _reference(document, path)
    if document.get("DataSourceType") != "Event Hub":
        raise ProjectError(
            f"{path}: DataSourceType {document.get('DataSourceType')!r}; the runtime reads 'Event Hub'"
        )
    props = _key(document, path, "EventHubProperties")
    return EventHubInput(
        alias=_key(document, path, "Name"),
        namespace=_key(props, path, "ServiceBusNamespace"),
        hub=_key(props, path, "EventHubName"),
        consumer_group=props.get("ConsumerGroupName") or "$Default",
        partitions=int(props.get("PartitionCount") or 1),
    )


def _reference(document: dict[str, Any], path: Path) -> ReferenceInput:
    if document.get("DataSourceType") != "Blob Storage":
        raise ProjectError(
            f"{path}: reference DataSourceType {document.get('DataSourceType')!r}; the runtime reads 'Blob Storage'"
        )
    props = _key(document, path, "BlobStorageProperties")
    serialization = _key(document, path, "Serialization")
    kind = {f.casefold(): f for f in FORMATS}.get(str(serialization.get("Type")).casefold())
    if kind is None:
        raise ProjectError(
            f"{path}: Serialization.Type {serialization.get('Type')!r}; reference data is one of {list(FORMATS)}"
        )
    return ReferenceInput(
        alias=_key(document, path, "Name"),
        account=_input_account(props, path),
        container=_key(props, path, "Container"),
        path_pattern=_key(props, path, "PathPattern"),
        date_format=props.get("DateFormat") or "yyyy/MM/dd",
        time_format=props.get("TimeFormat") or "HH",
        serialization=kind,
        field_delimiter=serialization.get("FieldDelimiter") or ",",
    )


def _input_account(props: dict[str, Any], path: Path) -> str:
    """The storage account of a blob input file: `StorageAccounts[0].AccountName`, as the VS Code
    extension writes inputs (a real project: molowe1/dp203-aeh-sa Inputs/insightMetrics.json), or the
    single `StorageAccount` of files written before the template followed it."""
    if "StorageAccounts" not in props:
        return str(_key(props, path, "StorageAccount"))
    accounts = props["StorageAccounts"]
    if not isinstance(accounts, list) or len(accounts) != 1 or not isinstance(accounts[0], dict):
        raise ProjectError(
            f"{path}: BlobStorageProperties.StorageAccounts must list one account, not {accounts!r}"
        )
    return str(_key(accounts[0], path, "AccountName"))


def _output(document: dict[str, Any], path: Path) -> EventHubOutput | BlobOutput:
    kind = document.get("DataSourceType")
    if kind == "Event Hub":
        props = _key(document, path, "EventHubProperties")
        return EventHubOutput(
            alias=_key(document, path, "Name"),
            namespace=_key(props, path, "ServiceBusNamespace"),
            hub=_key(props, path, "EventHubName"),
            partition_key=props.get("PartitionKey") or None,
        )
    if kind == "Blob Storage":
        props = _key(document, path, "BlobStorageProperties")
        return BlobOutput(
            alias=_key(document, path, "Name"),
            account=_key(props, path, "StorageAccount"),
            container=_key(props, path, "Container"),
            path_pattern=_key(props, path, "PathPattern"),
            date_format=props.get("DateFormat") or "yyyy/MM/dd",
            time_format=props.get("TimeFormat") or "HH",
        )
    raise ProjectError(f"{path}: DataSourceType {kind!r}; the runtime writes 'Event Hub' and 'Blob Storage'")


def _function(document: dict[str, Any], path: Path) -> MLFunction:
    binding = _key(document, path, "Binding")
    if binding.get("Type") != "Microsoft.MachineLearningServices":
        raise ProjectError(
            f"{path}: Binding.Type {binding.get('Type')!r}; the runtime calls Azure ML endpoints"
        )
    inputs = _key(binding, path, "Inputs")
    if len(inputs) != 1:
        raise ProjectError(f"{path}: Binding.Inputs must hold exactly one column (one record argument)")
    return MLFunction(
        alias=_key(document, path, "Name"),
        endpoint=_key(binding, path, "Endpoint"),
        input_request_name=_key(binding, path, "InputRequestName"),
        input_name=_key(inputs[0], path, "Name"),
        output_response_name=_key(binding, path, "OutputResponseName"),
        batch_size=int(_key(binding, path, "BatchSize")),
        parallel_requests=int(_key(binding, path, "NumberOfParallelRequests")),
    )


def load_project(folder: Path) -> Project:
    """Load `folder/asaproj.json` and every file it lists; errors name the file and key."""
    asaproj_path = folder / "asaproj.json"
    asaproj = _read(asaproj_path)
    query_path = folder / _key(asaproj, asaproj_path, "startFile")
    try:
        query = query_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"{query_path}: cannot read the query (asaproj.json startFile): {exc}") from exc
    job: JobConfig | None = None
    inputs: list[EventHubInput] = []
    eventhubs: list[EventHubOutput] = []
    blobs: list[BlobOutput] = []
    functions: list[MLFunction] = []
    references: list[ReferenceInput] = []
    for index, entry in enumerate(_key(asaproj, asaproj_path, "configurations")):
        sub_type = entry.get("subType")
        path = folder / str(entry.get("filePath"))
        if sub_type == "JobConfig":
            document = _read(path)
            policy = _key(document, path, "EventsOutOfOrderPolicy")
            if policy not in ("Adjust", "Drop"):
                raise ProjectError(f"{path}: EventsOutOfOrderPolicy must be Adjust or Drop, not {policy!r}")
            job = JobConfig(
                late_arrival_max_delay_s=int(_key(document, path, "EventsLateArrivalMaxDelayInSeconds")),
                out_of_order_max_delay_s=int(_key(document, path, "EventsOutOfOrderMaxDelayInSeconds")),
                out_of_order_policy=policy,
                output_error_policy=_key(document, path, "OutputErrorPolicy"),
                streaming_units=int((document.get("Sku") or {}).get("StreamingUnits") or 1),
            )
        elif sub_type == "Input":
            read = _input(_read(path), path)
            (references if isinstance(read, ReferenceInput) else inputs).append(read)  # type: ignore[arg-type]
        elif sub_type == "Output":
            output = _output(_read(path), path)
            (eventhubs if isinstance(output, EventHubOutput) else blobs).append(output)  # type: ignore[arg-type]
        elif sub_type == "MLFunction":
            functions.append(_function(_read(path), path))
        else:
            raise ProjectError(
                f"{asaproj_path}: configurations[{index}]: subType {sub_type!r} is not supported"
            )
    if job is None:
        raise ProjectError(f"{asaproj_path}: no configuration with subType JobConfig")
    if not inputs:
        raise ProjectError(f"{asaproj_path}: no input")
    return Project(
        folder=folder,
        name=str(asaproj.get("name", folder.name)),
        query=query,
        job=job,
        inputs=tuple(inputs),
        eventhub_outputs=tuple(eventhubs),
        blob_outputs=tuple(blobs),
        functions=tuple(functions),
        references=tuple(references),
    )
