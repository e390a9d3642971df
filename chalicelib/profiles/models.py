"""The profiles table: one item per profile, under its account."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.models import Model


class ProfileModel(Model):
    class Meta:
        table_name = "profiles"

    account_id = UnicodeAttribute(hash_key=True)
    #: The account's first profile has the account's own id, so everything viewed before
    #: profiles existed (kept under the account id) is that profile's.
    profile_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    avatar = UnicodeAttribute()
    kids = BooleanAttribute(default=False)
    #: A kids profile's maturity ceiling (a rating of `maturity.KIDS_CEILINGS`).
    ceiling = UnicodeAttribute(null=True)
    pin_hash = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


PROFILE_MODELS: dict[type[Model], str] = {ProfileModel: "profiles"}
