"""Asset schemas: a host with its address history, its creation and edits, imports and lookups."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from socflow.api.schemas_common import (
    Instant,
    PageParams,
    RequestModel,
    ResponseModel,
    Tag,
    Text,
    Timestamp,
    Version,
    refuse_null,
)
from socflow.errors import ValidationFailed
from socflow.ingest.asset_input import AssetInput, build
from socflow.ingest.assets import ImportReport
from socflow.model.asset import AddressKind, Criticality
from socflow.storage.tables_assets import AssetAddressRow, AssetRow

HostName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Owner = Annotated[str, StringConstraints(max_length=200)]
Address = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AssetIn(RequestModel):
    name: HostName = Field(description="Host name; an FQDN or DOMAIN\\HOST sets the domain too.")
    domain: Annotated[str, StringConstraints(max_length=255)] = ""
    owner: Owner = ""
    criticality: Criticality = Criticality.MEDIUM
    description: Text = ""
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    ips: list[Address] = Field(default_factory=list, max_length=100)
    macs: list[Address] = Field(default_factory=list, max_length=100)
    valid_from: Instant | None = Field(
        default=None, description="Since when it holds the addresses; default now."
    )

    def to_input(self) -> AssetInput:
        """Checked and made canonical by the same rules as an import (every problem named at once)."""
        raw: dict[str, Any] = self.model_dump(exclude_none=True)
        if raw.get("valid_from") is not None:
            raw["valid_from"] = self.valid_from.isoformat() if self.valid_from else None
        item, issues = build(raw, "body")
        if item is None:
            raise ValidationFailed("the asset is not valid", issues=issues)
        return item


class AssetPatch(RequestModel):
    owner: Owner | None = None
    criticality: Criticality | None = None
    description: Text | None = None
    tags: list[Tag] | None = Field(default=None, max_length=100)
    version: Version | None = None

    _not_null = field_validator("owner", "criticality", "description", "tags")(refuse_null)


class AddressIn(RequestModel):
    kind: AddressKind
    value: Address
    at: Instant | None = Field(default=None, description="When the asset started to hold it; default now.")


class AssetListParams(PageParams):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = Field(
        default=None, description="The start of the host name."
    )
    criticality: Criticality | None = None


class LookupParams(RequestModel):
    ip: Address | None = None
    mac: Address | None = None
    at: Instant | None = Field(default=None, description="The moment to ask about; now if left out.")


class AddressOut(ResponseModel):
    kind: AddressKind
    value: str
    valid_from: Timestamp
    valid_to: Timestamp | None

    @classmethod
    def from_row(cls, row: AssetAddressRow) -> AddressOut:
        return cls(
            kind=AddressKind(row.kind), value=row.value, valid_from=row.valid_from, valid_to=row.valid_to
        )


class AssetOut(ResponseModel):
    id: str
    name: str
    domain: str
    owner: str
    criticality: Criticality
    description: str
    tags: list[str]
    addresses: list[AddressOut]
    created_at: Timestamp
    updated_at: Timestamp
    version: int

    @classmethod
    def from_row(cls, row: AssetRow) -> AssetOut:
        return cls(
            id=row.id,
            name=row.name,
            domain=row.domain,
            owner=row.owner,
            criticality=Criticality(row.criticality),
            description=row.description,
            tags=list(row.tags),
            addresses=[AddressOut.from_row(span) for span in row.addresses],
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )


class ImportOut(ResponseModel):
    created: int
    updated: int
    unchanged: int
    addresses_assigned: int

    @classmethod
    def from_report(cls, report: ImportReport) -> ImportOut:
        return cls(**report.to_dict())
