"""The API's OpenAPI document, generated from the request and response pydantic models."""
