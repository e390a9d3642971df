"""PayPal REST client: OAuth2 client credentials, subscriptions, webhook verification.

Every POST carries a `PayPal-Request-Id`, reused across retries, so PayPal performs it once.
Timeouts, connection errors and 5xx answers are retried with exponential backoff; 4xx never.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)


class PayPalError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"PayPal answered {status}: {body[:300]}")
        self.status = status


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TimeoutException | httpx.TransportError):
        return True
    return isinstance(exc, PayPalError) and exc.status >= 500


@dataclass(frozen=True)
class CreatedSubscription:
    id: str
    status: str
    approve_url: str


class PayPalClient:
    def __init__(self, http: httpx.Client, base_url: str, client_id: str, client_secret: str,
                 *, attempts: int = 4, backoff_seconds: float = 0.5) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._credentials = (client_id, client_secret)
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self.attempts = attempts
        self.backoff = backoff_seconds

    def _retrying(self) -> Retrying:
        return Retrying(retry=retry_if_exception(_retryable), reraise=True,
                        stop=stop_after_attempt(self.attempts),
                        wait=wait_exponential(multiplier=self.backoff, max=8))

    def _fetch_token(self) -> tuple[str, float]:
        response = self.http.post(f"{self.base_url}/v1/oauth2/token", auth=self._credentials,
                                  data={"grant_type": "client_credentials"})
        if response.status_code != 200:
            raise PayPalError(response.status_code, response.text)
        body = response.json()
        # Renew a minute early so a token never expires mid-request.
        return body["access_token"], time.monotonic() + int(body["expires_in"]) - 60

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._token[1]:
                self._token = self._retrying()(self._fetch_token)
            return self._token[0]

    def _call(self, method: str, path: str, *, json: Any = None,
              request_id: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token()}",
                   "Content-Type": "application/json"}
        if method == "POST":
            headers["PayPal-Request-Id"] = request_id or str(uuid.uuid4())

        def attempt() -> httpx.Response:
            response = self.http.request(method, f"{self.base_url}{path}", json=json,
                                         headers=headers)
            if response.status_code >= 400:
                raise PayPalError(response.status_code, response.text)
            return response

        return self._retrying()(attempt)

    def create_subscription(self, *, plan_id: str, custom_id: str, email: str, return_url: str,
                            cancel_url: str, request_id: str,
                            start_time: str | None = None) -> CreatedSubscription:
        """A subscription awaiting approval; ``start_time`` (ISO 8601) defers its first
        billing (a restart before the paid time ends)."""
        request: dict[str, Any] = {
            "plan_id": plan_id, "custom_id": custom_id,
            "subscriber": {"email_address": email},
            "application_context": {"return_url": return_url, "cancel_url": cancel_url,
                                    "user_action": "SUBSCRIBE_NOW", "brand_name": "Notflix"},
        }
        if start_time:
            request["start_time"] = start_time
        body = self._call("POST", "/v1/billing/subscriptions", request_id=request_id,
                          json=request).json()
        approve = next(link["href"] for link in body["links"] if link["rel"] == "approve")
        return CreatedSubscription(body["id"], body["status"], approve)

    def show_subscription(self, subscription_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "GET", f"/v1/billing/subscriptions/{subscription_id}").json()
        return result

    def revise_subscription(self, subscription_id: str, *, plan_id: str, return_url: str,
                            cancel_url: str, request_id: str) -> str | None:
        """Ask to move the subscription to another plan (PayPal's plan revision); the page
        where the subscriber approves it, or None when PayPal needs no approval."""
        body = self._call("POST", f"/v1/billing/subscriptions/{subscription_id}/revise",
                          request_id=request_id, json={
                              "plan_id": plan_id,
                              "application_context": {"return_url": return_url,
                                                      "cancel_url": cancel_url,
                                                      "brand_name": "Notflix"}}).json()
        return next((str(link["href"]) for link in body.get("links") or []
                     if link.get("rel") == "approve"), None)

    def cancel_subscription(self, subscription_id: str, reason: str, request_id: str) -> None:
        self._call("POST", f"/v1/billing/subscriptions/{subscription_id}/cancel",
                   json={"reason": reason}, request_id=request_id)

    def verify_webhook_signature(self, payload: dict[str, Any]) -> bool:
        body = self._call("POST", "/v1/notifications/verify-webhook-signature",
                          json=payload).json()
        return bool(body.get("verification_status") == "SUCCESS")
