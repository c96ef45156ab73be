"""`GET /swagger.json`: azmlinfsrv's document for `/`, `/score` and `/swagger.json`.

The fixed part of each document is a template file beside this module (Swagger 2.0, and
OpenAPI 3.0 which also serves 3.1); its `ServiceInput` and `ServiceOutput` slots are filled with
schemas of the samples the scoring script publishes.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from common.errors import CcflinkError

# Each version (and alias) a caller may ask for, and the template that answers it.
TEMPLATES = {
    "2": "swagger2_template.json",
    "2.0": "swagger2_template.json",
    "3": "swagger3_template.json",
    "3.0": "swagger3_template.json",
    "3.1": "swagger3_template.json",
}
OPENAPI_3_1 = "3.1.0"


class UnknownSwaggerVersion(CcflinkError):
    """A `?version=` with no template; the caller gets 404 and this message."""

    def __init__(self, asked: str) -> None:
        super().__init__(
            f"Swagger version [{asked}] is not valid. Supported versions: [2, 3, 3.1]."
        )


@cache
def _template_text(name: str) -> str:
    return Path(__file__).with_name(name).read_text(encoding="utf-8")


def json_schema(sample: Any) -> dict[str, Any]:
    """A JSON schema describing a sample value (objects, arrays, scalars; null is untyped)."""
    if isinstance(sample, bool):
        return {"type": "boolean"}
    if isinstance(sample, int):
        return {"type": "integer", "format": "int64"}
    if isinstance(sample, float):
        return {"type": "number", "format": "double"}
    if isinstance(sample, str):
        return {"type": "string"}
    if isinstance(sample, dict):
        properties = {str(k): json_schema(v) for k, v in sample.items()}
        return {"type": "object", "required": list(properties), "properties": properties}
    if isinstance(sample, (list, tuple)):
        items = [v for v in sample if v is not None]
        return {"type": "array", "items": json_schema(items[0]) if items else {}}
    return {}


def _with_example(sample: Any) -> dict[str, Any]:
    if sample is None:
        return {"type": "object", "example": {}}
    return {**json_schema(sample), "example": sample}


def swagger_document(version: str, input_sample: Any = None, output_sample: Any = None) -> dict:
    """The document for `version` (2, 2.0, 3, 3.0 or 3.1) describing the script's samples."""
    template = TEMPLATES.get(version)
    if template is None:
        raise UnknownSwaggerVersion(version)
    document = json.loads(_template_text(template))
    if "swagger" in document:
        schemas = document["definitions"]
    else:
        schemas = document["components"]["schemas"]
        if version == "3.1":
            document["openapi"] = OPENAPI_3_1
    schemas["ServiceInput"] = _with_example(input_sample)
    schemas["ServiceOutput"] = _with_example(output_sample)
    return document
