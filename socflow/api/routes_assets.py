"""Asset routes: the inventory of hosts, their address history, bulk import, and point-in-time lookup."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from socflow.api.auth import Actor
from socflow.api.concurrency import IfMatch, expected_version, set_etag
from socflow.api.context import API_PREFIX, TrackerDep
from socflow.api.schemas_assets import (
    AddressIn,
    AssetIn,
    AssetListParams,
    AssetOut,
    AssetPatch,
    ImportOut,
    LookupParams,
)
from socflow.api.schemas_common import PageOut
from socflow.errors import Issue, NotFound, ValidationFailed
from socflow.ingest.assets import AssetService
from socflow.model.asset import AddressKind

router = APIRouter(prefix="/assets", tags=["assets"])

_IMPORT_BODY: Final = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    },
}


def _service(tracker: TrackerDep) -> AssetService:
    return AssetService(tracker.database)


@router.post("", status_code=201)
def create_asset(body: AssetIn, actor: Actor, tracker: TrackerDep, response: Response) -> AssetOut:
    """Add a host; its IPs and MACs are assigned from `valid_from` (taking them from any other holder)."""
    row = _service(tracker).create(actor, body.to_input())
    response.headers["Location"] = f"{API_PREFIX}/assets/{row.id}"
    set_etag(response, row.version)
    return AssetOut.from_row(row)


@router.get("")
def list_assets(params: Annotated[AssetListParams, Query()], tracker: TrackerDep) -> PageOut[AssetOut]:
    page = _service(tracker).search(
        name=params.name, criticality=params.criticality, limit=params.limit, cursor=params.cursor
    )
    return PageOut(items=[AssetOut.from_row(row) for row in page.items], next=page.next)


@router.post("/import", openapi_extra={"requestBody": _IMPORT_BODY})
async def import_assets(request: Request, actor: Actor, tracker: TrackerDep) -> ImportOut:
    """Create or update assets from CSV (text/csv) or JSON; any invalid row refuses the whole import."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in ("text/csv", "application/json"):
        raise ValidationFailed(
            "send the import as text/csv or application/json",
            issues=[Issue("header.Content-Type", "text/csv or application/json")],
        )
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the import is not UTF-8 text", issues=[Issue("body", "not UTF-8")]) from None
    service = _service(tracker)
    # Synchronous database work from an async route: run it off the event loop.
    method = service.import_csv if kind == "text/csv" else service.import_json
    return ImportOut.from_report(await run_in_threadpool(method, actor, text))


@router.get("/lookup")
def lookup_asset(params: Annotated[LookupParams, Query()], tracker: TrackerDep) -> AssetOut:
    """The asset that held `ip` (or `mac`) at `at`; 404 when nobody did."""
    if (params.ip is None) == (params.mac is None):
        raise ValidationFailed("give exactly one of ip or mac", issues=[Issue("query.ip", "ip or mac")])
    kind, value = (AddressKind.IP, params.ip) if params.ip is not None else (AddressKind.MAC, params.mac)
    row = _service(tracker).lookup(kind, value or "", params.at)
    if row is None:
        raise NotFound(f"no asset held {kind.value} {value!r} at that time", details={"object": "asset"})
    return AssetOut.from_row(row)


@router.get("/{asset_id}")
def get_asset(asset_id: str, tracker: TrackerDep, response: Response) -> AssetOut:
    row = _service(tracker).get(asset_id)
    set_etag(response, row.version)
    return AssetOut.from_row(row)


@router.patch("/{asset_id}")
def update_asset(
    asset_id: str, body: AssetPatch, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> AssetOut:
    row = _service(tracker).update(
        actor,
        asset_id,
        owner=body.owner,
        criticality=body.criticality,
        description=body.description,
        tags=body.tags,
        expected_version=expected_version(body.version, if_match),
    )
    set_etag(response, row.version)
    return AssetOut.from_row(row)


@router.post("/{asset_id}/addresses")
def assign_address(
    asset_id: str, body: AddressIn, actor: Actor, tracker: TrackerDep, response: Response
) -> AssetOut:
    """The asset holds the address from `at`; the previous holder's interval is closed at that moment."""
    row = _service(tracker).assign_address(actor, asset_id, body.kind, body.value, body.at)
    set_etag(response, row.version)
    return AssetOut.from_row(row)
