"""Table rows become frozen read models here, so that nothing outside storage sees a row."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sqlmodel import SQLModel

Record = TypeVar("Record")


def read_model(model: type[Record], row: SQLModel, **converted: Any) -> Record:
    """`model` filled field by field from `row`; `converted` gives the fields that need more
    than a copy (enums, rows from other tables)."""
    assert dataclasses.is_dataclass(model)
    copied = {
        field.name: getattr(row, field.name)
        for field in dataclasses.fields(model)
        if field.name not in converted
    }
    return model(**copied, **converted)
