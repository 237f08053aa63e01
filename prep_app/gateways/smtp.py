"""Email over SMTP (``SMTP_*`` and ``MAIL_FROM`` settings): plain, STARTTLS or TLS."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from . import Outgoing, PermanentFailure, TemporaryFailure


class SmtpGateway:
    channel = "email"

    def __init__(self, host: str, port: int, security: str, sender: str,
                 username: str | None = None, password: str | None = None,
                 timeout: float = 20):
        self.host, self.port, self.security, self.sender = host, port, security, sender
        self.username, self.password, self.timeout = username or "", password or "", timeout

    @classmethod
    def from_config(cls, config) -> SmtpGateway:
        return cls(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SECURITY"],
                   config["MAIL_FROM"], config["SMTP_USERNAME"], config["SMTP_PASSWORD"],
                   config["SMTP_TIMEOUT_SECONDS"])

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            server.starttls(context=context)
        return server

    def send(self, outgoing: Outgoing) -> str:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = outgoing.to
        email["Subject"] = outgoing.subject
        message_id = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email["Message-ID"] = message_id
        for name, value in outgoing.headers.items():
            email[name] = value
        email.set_content(outgoing.body)
        try:
            with self._connect() as server:
                if self.username:
                    server.login(self.username, self.password)
                server.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = {code for code, _ in error.recipients.values()}
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure("email refused: check the address") from None
            raise TemporaryFailure("email server busy; trying again") from None
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600 and error.smtp_code != 530:
                raise PermanentFailure(f"email refused ({error.smtp_code})") from None
            raise TemporaryFailure(f"email server busy ({error.smtp_code})") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"email server unreachable ({type(error).__name__})") from None
        return message_id.strip("<>")[:64]
