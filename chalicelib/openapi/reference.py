"""The docs page's view of the OpenAPI document: operations by tag, fields in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    rules: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    who: str
    anchor: str
    parameters: list[Field]
    body: list[Field]
    body_type: str | None
    responses: list[tuple[str, str, str]]


def _kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_kind(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(schema.get("format") or schema.get("type") or "any")


def _rules(schema: dict[str, Any]) -> str:
    words = {"minLength": "at least {} characters", "maxLength": "at most {} characters",
             "minimum": ">= {}", "maximum": "<= {}", "exclusiveMinimum": "> {}",
             "pattern": "matches {}", "minItems": "at least {} items",
             "maxItems": "at most {} items", "default": "default {}"}
    found = [text.format(schema[key]) for key, text in words.items() if key in schema]
    for option in schema.get("anyOf", []):
        found += [text.format(option[key]) for key, text in words.items() if key in option]
    return "; ".join(found)


def _fields(schema: dict[str, Any], schemas: dict[str, Any]) -> list[Field]:
    if "$ref" in schema:
        schema = schemas[str(schema["$ref"]).rsplit("/", 1)[-1]]
    required = set(schema.get("required", []))
    return [Field(name, _kind(prop), name in required, _rules(prop))
            for name, prop in schema.get("properties", {}).items()]


def _first(content: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The first media type of a content map, and its entry."""
    for media, entry in content.items():
        return media, entry
    return None, {}


def _who(op: dict[str, Any]) -> str:
    if "x-roles" not in op:
        return "anyone"
    roles = op["x-roles"]
    return ", ".join(roles) if roles else "any logged-in user"


def operations_by_tag(document: dict[str, Any]) -> dict[str, list[Operation]]:
    schemas = document["components"]["schemas"]
    tags: dict[str, list[Operation]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            params = [Field(p["name"], f"{p['in']}: {_kind(p['schema'])}", p["required"],
                          p.get("description", "")) for p in op["parameters"]]
            body_type, body_schema = _first(op.get("requestBody", {}).get("content", {}))
            responses = []
            for status, response in op["responses"].items():
                media, schema = _first(response.get("content", {}))
                shape = _kind(schema["schema"]) if schema.get("schema") else media or ""
                responses.append((status, response["description"], shape))
            tags.setdefault(op["tags"][0], []).append(Operation(
                method.upper(), path, op["summary"], _who(op), op["operationId"], params,
                _fields(body_schema.get("schema", {}), schemas), body_type, responses))
    return tags
