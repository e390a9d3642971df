"""Account mail through SES: the welcome message and the password reset link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode


class Mailer:
    def __init__(self, ses: Any, sender: str, public_url: str) -> None:
        self.ses = ses
        self.sender = sender
        self.public_url = public_url.rstrip("/")

    def _send(self, to: str, subject: str, text: str) -> None:
        self.ses.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
        )

    def welcome(self, to: str, display_name: str) -> None:
        self._send(to, "Welcome to Notflix",
                   f"Hello {display_name},\n\nyour Notflix account is ready. Choose a plan and "
                   f"start watching at {self.public_url}/\n\nThe Notflix team\n")

    def password_reset(self, to: str, token: str, valid_minutes: int) -> None:
        link = f"{self.public_url}/reset-password?{urlencode({'token': token})}"
        self._send(to, "Reset your Notflix password",
                   "Someone asked to reset the password of this Notflix account.\n\n"
                   f"Set a new password here (the link works once, for {valid_minutes} "
                   f"minutes):\n{link}\n\nIf it was not you, ignore this message; your "
                   "password stays as it is.\n")
