"""Development only: messages are printed (without the link) and kept as files in the instance
folder, where the outbox page shows them in full, so a newcomer sees what would be sent."""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path

from . import Outgoing

log = logging.getLogger("prep_app.outbox")
LINK = re.compile(r"/p/[A-Za-z0-9_-]+")
KEEP = 50  # the newest messages kept


def folder(app) -> Path:
    return Path(app.config["OUTBOX_PATH"])


def redact(text: str) -> str:
    return LINK.sub("/p/…", text)


class OutboxGateway:
    def __init__(self, channel: str, path: Path):
        self.channel, self.path = channel, path

    def send(self, outgoing: Outgoing) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        provider_id = f"outbox-{uuid.uuid4().hex[:16]}"
        record = {"id": provider_id, "channel": self.channel, "to": outgoing.to,
                  "subject": outgoing.subject, "body": outgoing.body,
                  "headers": outgoing.headers}
        (self.path / f"{provider_id}.json").write_text(json.dumps(record))
        for old in sorted(self.path.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
            old.unlink(missing_ok=True)
        # The console line leaves the personal link out: it opens the patient's checklist.
        log.info("outbox %s %s: %s", self.channel, provider_id,
                 redact(outgoing.subject or outgoing.body))
        return provider_id


def read(path: Path) -> list[dict]:
    """The kept messages, newest first."""
    files = sorted(path.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [json.loads(f.read_text()) for f in files]
