"""Inbound webhooks: per-playbook secrets (kept as sha256 only) and starting a run from a request body."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any, Final

from socflow.cases.uow import fetch, now, unit_of_work
from socflow.errors import NotFound, Unauthorized
from socflow.playbooks.spec import TriggerKind
from socflow.storage.db import Database
from socflow.storage.tables_playbooks import PlaybookRow
from socflow.storage.tables_triggers import WebhookSecretRow
from socflow.worker.runs import RunService
from socflow.worker.trigger_index import TriggerIndex

SECRET_HEADER: Final = "X-Socflow-Webhook-Secret"  # noqa: S105 - a header name, not a secret
SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the visible prefix of generated secrets
HINT_CHARS: Final = 10  # the prefix and four random characters: enough to tell secrets apart


def new_secret() -> str:
    """256 random bits, URL-safe: guessing is hopeless, so a fast hash is a safe way to keep it."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class WebhookService:
    """Sets and checks webhook secrets and starts webhook runs of the published playbooks."""

    def __init__(self, database: Database, runs: RunService, index: TriggerIndex | None = None) -> None:
        self.database = database
        self.runs = runs
        self.index = index if index is not None else TriggerIndex(database)

    def rotate_secret(self, actor: str, playbook_id: str) -> str:
        """Make a new secret for the playbook (the old one stops working); returned once, never stored."""
        secret = new_secret()
        with unit_of_work(self.database, actor) as work:
            fetch(work.session, PlaybookRow, playbook_id, "playbook")
            row = work.session.get(WebhookSecretRow, playbook_id, with_for_update=True)
            action = "webhook_secret_rotated" if row is not None else "webhook_secret_created"
            if row is None:
                row = WebhookSecretRow(playbook_id=playbook_id)
                work.session.add(row)
            row.secret_sha256, row.hint = digest(secret), secret[:HINT_CHARS]
            row.created_by, row.created_at = work.actor, now()
            work.record("playbook", playbook_id, action, after={"hint": row.hint})
        return secret

    def verify(self, playbook_id: str, presented: str | None) -> None:
        """Unauthorized unless `presented` is the playbook's current secret (compared in constant time)."""
        if not presented:
            raise Unauthorized("this webhook needs its secret in the X-Socflow-Webhook-Secret header")
        with self.database.session(write=False) as session:
            row = session.get(WebhookSecretRow, playbook_id)
            stored = row.secret_sha256 if row is not None else None
        # Compare even without a stored secret, so timing does not tell which playbooks have one.
        matches = hmac.compare_digest(digest(presented), stored or digest(new_secret()))
        if stored is None or not matches:
            raise Unauthorized("the webhook secret is not valid for this playbook")

    def fire(
        self, name: str, presented: str | None, body: Any, received: dict[str, Any]
    ) -> tuple[str, str | None]:
        """Check the secret and start a run with the body as `trigger.webhook`: (playbook id, run id).

        The run id is None when the trigger's filter turned the body down.
        """
        armed = self.index.webhook(name)
        if armed is None:
            raise NotFound(
                f"no published playbook takes webhooks as {name!r}",
                details={"object": "webhook", "id": name},
            )
        self.verify(armed.playbook_id, presented)
        source = f"webhook:{uuid.uuid4().hex}"
        trigger = {"kind": TriggerKind.WEBHOOK.value, "source": source, "webhook": body, "request": received}
        if not armed.accepts({**trigger, "trigger": trigger}):  # a failing filter is the sender's 422
            return armed.playbook_id, None
        run_id = self.runs.start(f"webhook:{armed.playbook_id}", armed.playbook_id, {}, trigger)
        return armed.playbook_id, run_id
