"""DynamoDB tables of the payments domain."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class ByUser(GlobalSecondaryIndex["SubscriptionModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class SubscriptionModel(Model):
    class Meta:
        table_name = "subscriptions"

    id = UnicodeAttribute(hash_key=True)  # PayPal's subscription id
    user_id = UnicodeAttribute()
    plan_key = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    #: PayPal's update_time of the last state applied: older events never overwrite it.
    resource_updated_at = UnicodeAttribute(null=True)
    last_payment_at = UnicodeAttribute(null=True)
    paid_until = UnicodeAttribute(null=True)
    by_user = ByUser()


class ByPayPalId(GlobalSecondaryIndex["PaymentModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-paypal-id"
        projection = AllProjection()

    paypal_id = UnicodeAttribute(hash_key=True)


class PaymentModel(Model):
    class Meta:
        table_name = "payments"

    user_id = UnicodeAttribute(hash_key=True)
    #: `<occurred_at>#<paypal id>`: newest first by a reverse query, unique per PayPal id.
    entry = UnicodeAttribute(range_key=True)
    paypal_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # payment, refund, reversal, failed
    status = UnicodeAttribute()
    amount = UnicodeAttribute()  # a Decimal's exact string
    currency = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    by_paypal_id = ByPayPalId()


PAYMENT_MODELS: dict[type[Model], str] = {SubscriptionModel: "subscriptions",
                                          PaymentModel: "payments"}
