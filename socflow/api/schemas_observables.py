"""Observable schemas: what alerts and cases carry, the shared indicator rows, and their edits."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from socflow.api.schemas_common import (
    PageParams,
    RequestModel,
    ResponseModel,
    Text,
    Timestamp,
    Version,
    refuse_null,
)
from socflow.cases.observables import ObservableInput
from socflow.model.observable import ObservableType
from socflow.model.severity import TLP
from socflow.storage.tables import CaseObservableRow, ObservableRow

ObservableValue = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class ObservableIn(RequestModel):
    type: ObservableType
    value: ObservableValue
    ioc: bool = False
    description: Text = ""

    def to_input(self) -> ObservableInput:
        return ObservableInput(self.type, self.value, self.ioc, self.description)


class ObservablesAddIn(RequestModel):
    observables: list[ObservableIn] = Field(min_length=1, max_length=1000)


class ObservablePatch(RequestModel):
    ioc: bool | None = None
    description: Text | None = None
    tlp: TLP | None = None
    version: Version | None = None

    _not_null = field_validator("ioc", "description", "tlp")(refuse_null)


class ObservableListParams(PageParams):
    type: ObservableType | None = None
    value: ObservableValue | None = None
    ioc: bool | None = None


class ObservableRef(ResponseModel):
    """An observable as listed on an alert."""

    id: str
    type: ObservableType
    value: str
    ioc: bool


class ObservableOut(ResponseModel):
    id: str
    type: ObservableType
    value: str
    ioc: bool
    description: str
    tlp: TLP
    sightings: int
    first_seen: Timestamp
    last_seen: Timestamp
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class ObservableDetailOut(ObservableOut):
    cases: list[str] = Field(description="Ids of every case the observable appears in.")

    @classmethod
    def from_row(cls, row: ObservableRow, cases: list[str]) -> ObservableDetailOut:
        return cls.model_validate({**ObservableOut.model_validate(row).model_dump(), "cases": cases})


class CaseObservableOut(ObservableOut):
    added_by: str
    added_at: Timestamp
    other_cases: int = Field(description="How many other cases also contain this observable.")

    @classmethod
    def from_link(cls, link: CaseObservableRow, other_cases: int) -> CaseObservableOut:
        base = ObservableOut.model_validate(link.observable).model_dump()
        return cls.model_validate(
            {**base, "added_by": link.added_by, "added_at": link.added_at, "other_cases": other_cases}
        )
