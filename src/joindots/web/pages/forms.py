"""Turning form fields into validated shapes, with the same clear errors as the API."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from joindots.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form without the CSRF token and with empty fields dropped."""
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip() and k != "csrf_token"}


def validated(model: type[M], data: dict) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(problems) from exc
