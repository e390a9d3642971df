"""The plans on offer. PayPal plan ids differ per environment and come from settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.openapi import responses as api
from chalicelib.platform.config import Settings


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    price: Decimal
    currency: str
    paypal_plan_id: str
    max_quality: str  # the highest rung of the bitrate ladder this plan may play

    def public(self) -> api.Plan:
        return {"key": self.key, "name": self.name, "price": str(self.price),
                "currency": self.currency, "interval": "month",
                "max_quality": self.max_quality}


#: key -> (name, monthly price, currency, max quality, local PayPal plan id)
CATALOGUE = {
    "basic": ("Basic", "5.99", "EUR", "480p", "P-LOCAL-BASIC"),
    "standard": ("Standard", "9.99", "EUR", "1080p", "P-LOCAL-STANDARD"),
    "premium": ("Premium", "13.99", "EUR", "2160p", "P-LOCAL-PREMIUM"),
}


class Plans:
    def __init__(self, settings: Settings) -> None:
        overrides = dict(settings.paypal_plan_ids)
        self._plans = {
            key: Plan(key, name, Decimal(price), currency, overrides.get(key, local_id), quality)
            for key, (name, price, currency, quality, local_id) in CATALOGUE.items()
        }

    def all(self) -> list[Plan]:
        return list(self._plans.values())

    def get(self, key: str) -> Plan | None:
        return self._plans.get(key)

    def by_paypal_id(self, paypal_plan_id: str) -> Plan | None:
        return next((p for p in self._plans.values() if p.paypal_plan_id == paypal_plan_id),
                    None)
