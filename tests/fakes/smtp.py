"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

``stall_next()`` makes the next delivery hang before the recipient is accepted (nothing is
delivered), so a test can kill the sender mid-send; ``release()`` lets it go.
"""

from __future__ import annotations

import asyncio
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from ..pg import free_port


class Inbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self._stall = threading.Event()
        self._released = threading.Event()
        self.stalled = threading.Event()  # set when a delivery is hanging

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._stall.is_set():
            self._stall.clear()
            self.stalled.set()
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def stall_next(self) -> None:
        self._released.clear()
        self._stall.set()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} email(s) arrived, expected {count}")


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.inbox.release()
        self.controller.stop()

    def settings(self) -> dict[str, str]:
        """The app's settings for sending to this server."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port), "SMTP_SECURITY": "none",
                "MAIL_FROM": "clinic@clinic.example"}
