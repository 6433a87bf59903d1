"""`socflow asset`: import an inventory file, list and show hosts, and ask who held an address when."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from socflow.cli.context import Actor, Cursor, Json, Limit, state, who
from socflow.cli.output import cell, console, id_column
from socflow.cli.shapes import iso, page_dict, print_json
from socflow.errors import NotFound
from socflow.ingest.assets import AssetService
from socflow.model.asset import AddressKind, Criticality
from socflow.storage.tables_assets import AssetRow

app = typer.Typer(name="asset", help="Asset inventory: hosts, owners, criticality and address history.")


def _service(ctx: typer.Context) -> AssetService:
    return AssetService(state(ctx).tracker().database)


def asset_dict(row: AssetRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "domain": row.domain,
        "owner": row.owner,
        "criticality": row.criticality,
        "description": row.description,
        "tags": list(row.tags),
        "addresses": [
            {"kind": a.kind, "value": a.value, "valid_from": iso(a.valid_from), "valid_to": iso(a.valid_to)}
            for a in row.addresses
        ],
        "version": row.version,
    }


def _current(row: AssetRow, kind: str) -> str:
    return ", ".join(a.value for a in row.addresses if a.kind == kind and a.valid_to is None)


def _print_assets(rows: list[AssetRow], next_cursor: str | None) -> None:
    table = Table(title="Assets")
    id_column(table)
    for name in ("Name", "Domain", "Criticality", "Owner", "IPs now", "MACs now"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            cell(row.id),
            cell(row.name),
            cell(row.domain),
            cell(row.criticality),
            cell(row.owner),
            cell(_current(row, "ip")),
            cell(_current(row, "mac")),
        )
    out = console()
    out.print(table)
    if next_cursor:
        out.print(f"More: --cursor {next_cursor}", highlight=False, markup=False)


def _print_asset(row: AssetRow) -> None:
    out = console()
    host = f"{row.name}.{row.domain}" if row.domain else row.name
    out.print(f"{row.id}  {host}", highlight=False, markup=False)
    for label, value in (
        ("Criticality", row.criticality),
        ("Owner", row.owner),
        ("Tags", ", ".join(row.tags)),
    ):
        out.print(f"{label}: {value or '-'}", highlight=False, markup=False)
    table = Table(title="Addresses")
    for name in ("Kind", "Value", "From", "To"):
        table.add_column(name)
    for span in row.addresses:
        table.add_row(cell(span.kind), cell(span.value), cell(span.valid_from), cell(span.valid_to or "now"))
    out.print(table)


@app.command("import")
def import_file(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, readable=True)],
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Create or update assets from a .csv or .json file; any invalid row refuses the whole file."""
    text = path.read_text(encoding="utf-8-sig")
    service = _service(ctx)
    is_json = path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{"))
    report = service.import_json(who(actor), text) if is_json else service.import_csv(who(actor), text)
    if as_json:
        print_json(report.to_dict())
    else:
        typer.echo(
            f"Imported {path.name}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.addresses_assigned} addresses assigned"
        )


@app.command("list")
def list_assets(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="The start of the host name.")] = None,
    criticality: Annotated[Criticality | None, typer.Option("--criticality")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    as_json: Json = False,
) -> None:
    """List assets by name, one page at a time."""
    page = _service(ctx).search(name=name, criticality=criticality, limit=limit, cursor=cursor)
    if as_json:
        print_json(page_dict((asset_dict(row) for row in page.items), page.next))
    else:
        _print_assets(page.items, page.next)


@app.command("show")
def show(
    ctx: typer.Context,
    asset: Annotated[str, typer.Argument(metavar="ASSET", help="An asset id or a host name.")],
    as_json: Json = False,
) -> None:
    """Show one asset with its address history."""
    service = _service(ctx)
    row = service.find(asset) if not asset.startswith("asset_") else service.get(asset)
    if row is None:
        raise NotFound(f"no asset is named {asset!r}", details={"object": "asset"})
    if as_json:
        print_json(asset_dict(row))
    else:
        _print_asset(row)


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint="--at") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give a time zone, e.g. 2026-11-01T08:00:00Z", param_hint="--at")
    return moment.astimezone(UTC)


@app.command("lookup")
def lookup(
    ctx: typer.Context,
    ip: Annotated[str | None, typer.Option("--ip")] = None,
    mac: Annotated[str | None, typer.Option("--mac")] = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 time with a zone; now by default.")] = None,
    as_json: Json = False,
) -> None:
    """Which asset held the IP (or MAC) at the given time."""
    if (ip is None) == (mac is None):
        raise typer.BadParameter("give exactly one of --ip or --mac", param_hint="--ip")
    kind, value = (AddressKind.IP, ip) if ip is not None else (AddressKind.MAC, mac)
    row = _service(ctx).lookup(kind, value or "", _moment(at))
    if row is None:
        raise NotFound(f"no asset held {kind.value} {value!r} at that time", details={"object": "asset"})
    if as_json:
        print_json(asset_dict(row))
    else:
        _print_asset(row)
