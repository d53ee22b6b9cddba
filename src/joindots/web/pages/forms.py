"""Turning form fields into validated shapes, with the same clear errors as the API."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from joindots.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form without the CSRF token and with empty fields dropped."""
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip() and k != "csrf_token"}


def validated(model: type[M], data: dict, labels: dict[str, str] | None = None) -> M:
    """`data` as `model`, or InvalidInput naming each field by its label on the form (`labels`, keyed
    by the field's path without list positions: "suspects.phones") in plain words."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("; ".join(_problem(e, labels or {}) for e in exc.errors())) from exc


def _problem(error: Any, labels: dict[str, str]) -> str:
    path = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
    said = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":  # the pattern itself helps no one
        said = "this does not look right; check it"
    said = "this is required" if said == "Field required" else said[:1].lower() + said[1:]
    return f"{labels.get(path, path)}: {said}"
