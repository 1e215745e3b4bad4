"""What Stream Analytics derives from a scoring endpoint's swagger for its Azure ML function (pure).

Stream Analytics reads the swagger that `inference_schema` publishes: the request key becomes
`inputRequestName`, the input columns its `inputs`, the reply key `outputResponseName` (docs/stream-analytics-semantics.md §5).
"""

from __future__ import annotations

from typing import Any

SWAGGER_TO_ASA_TYPE = {
    "object": "object",
    "array": "array",
    "number": "double",
    "integer": "int64",
    "string": "string",
}


class SwaggerShapeError(ValueError):
    """The swagger does not have the one-request-key, one-reply-key shape Stream Analytics needs."""


def binding_from_swagger(swagger: dict[str, Any]) -> dict[str, Any]:
    """The function binding fields (path, inputRequestName, outputResponseName, inputs, outputs) and the
    row's field names, from an inference_schema swagger with a wrapped request and reply."""
    try:
        request = swagger["definitions"]["ServiceInput"]["properties"]
        reply = swagger["definitions"]["ServiceOutput"]["properties"]
    except KeyError as exc:
        raise SwaggerShapeError(f"swagger has no definitions.{exc.args[0]}") from exc
    if len(request) != 1 or len(reply) != 1:
        raise SwaggerShapeError(
            f"expected one request key and one reply key, got {sorted(request)} and {sorted(reply)}"
        )
    (request_name, request_body), (response_name, response_body) = (
        next(iter(request.items())),
        next(iter(reply.items())),
    )
    inputs = [
        {"name": name, "dataType": SWAGGER_TO_ASA_TYPE[column["items"]["type"]], "mapTo": index}
        for index, (name, column) in enumerate(request_body["properties"].items())
    ]
    outputs = [
        {"name": response_name, "dataType": SWAGGER_TO_ASA_TYPE[response_body["items"]["type"]], "mapTo": 0}
    ]
    return {
        "path": next(p for p, ops in swagger["paths"].items() if "post" in ops),
        "inputRequestName": request_name,
        "outputResponseName": response_name,
        "inputs": inputs,
        "outputs": outputs,
        "rowFields": sorted(next(iter(request_body["properties"].values()))["items"]["properties"]),
    }
