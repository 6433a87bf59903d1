"""Shared schema pieces: the strict request base, the list envelope, the problem body, common fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

ItemT = TypeVar("ItemT")

Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Reason = Annotated[str, StringConstraints(max_length=2000)]
Text = Annotated[str, StringConstraints(max_length=100_000)]
Version = Annotated[int, Field(ge=1, description="The version the change was made against; stale gives 409.")]


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Times go in with any zone (a naive time is refused as ambiguous) and come out in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(to_utc)]
Timestamp = Annotated[datetime, AfterValidator(to_utc)]
Order = Literal["asc", "desc"]
Limit = Annotated[int, Field(ge=1, le=500, description="Page size, 1 to 500.")]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class RequestModel(BaseModel):
    """Every request body and query model: unknown fields are refused with 422 naming them."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def refuse_null(value: object) -> object:
    """For PATCH fields that may be left out but not set to null (they have no empty state)."""
    if value is None:
        raise ValueError("must not be null; leave the field out to keep its value")
    return value


class PageOut(BaseModel, Generic[ItemT]):
    """The envelope of every list: `next` is the cursor of the following page, null on the last."""

    items: list[ItemT]
    next: str | None = None


class ProblemIssue(BaseModel):
    path: str
    message: str


class Problem(BaseModel):
    """RFC 7807 problem details, served as application/problem+json."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    issues: list[ProblemIssue] = Field(default_factory=list)
    details: dict[str, object] = Field(default_factory=dict)


class PageParams(RequestModel):
    limit: Limit = 50
    cursor: Cursor | None = None
