"""The cost model's arithmetic: published prices x measured quantities -> dollars.

Pure functions only (no AWS, no stack): `bench/cost.py` measures, this module prices.

- :func:`load_prices` reads ``bench/aws_prices.toml`` (every price with a unit and a source).
- :class:`Usage` is what AWS bills for, summed over requests: Lambda invocations and
  GB-seconds, API Gateway requests, DynamoDB read/write request units, S3 and SQS requests,
  bytes of logs and bytes sent to viewers. Usages add and scale.
- :func:`line_items` turns a usage into priced lines, one per billed dimension.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PRICES_FILE = Path(__file__).with_name("aws_prices.toml")
GB = 1024**3
#: Lambda bills duration in 1 ms steps and memory in MB / 1024 GB.
LAMBDA_MS_STEP = 1.0
#: Lambda's free ephemeral storage; above it, GB-seconds are billed.
FREE_EPHEMERAL_MB = 512


class PriceError(ValueError):
    """The prices file lacks a price, a unit or a source, or holds a nonsense value."""


@dataclass(frozen=True)
class Price:
    key: str
    amount: float  # dollars per `per` units
    per: float
    unit: str
    source: str
    checked: str = ""
    #: Volume tiers: (upper bound of the tier in units a month, dollars a unit).
    tiers: tuple[tuple[float, float], ...] = ()

    def cost(self, quantity: float) -> float:
        """Dollars for ``quantity`` units at the (first-tier) rate."""
        return quantity * self.amount / self.per


@dataclass(frozen=True)
class Prices:
    region: str
    as_published: str
    hours_per_month: float
    items: Mapping[str, Price]

    def __getitem__(self, key: str) -> Price:
        try:
            return self.items[key]
        except KeyError:
            raise PriceError(f"no price {key!r} in the prices file") from None


def load_prices(path: Path = PRICES_FILE) -> Prices:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    meta = data.get("meta", {})
    items: dict[str, Price] = {}
    for key, raw in (data.get("prices") or {}).items():
        items[key] = parse_price(key, raw)
    if not items:
        raise PriceError(f"{path} holds no prices")
    for name in ("region", "as_published", "hours_per_month"):
        if name not in meta:
            raise PriceError(f"{path} [meta] lacks {name!r}")
    return Prices(str(meta["region"]), str(meta["as_published"]),
                  float(meta["hours_per_month"]), items)


def parse_price(key: str, raw: Mapping[str, object]) -> Price:
    amount, per = raw.get("amount"), raw.get("per")
    unit, source = str(raw.get("unit") or ""), str(raw.get("source") or "")
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        raise PriceError(f"{key}: amount must be a non-negative number, not {amount!r}")
    if not isinstance(per, int | float) or isinstance(per, bool) or per <= 0:
        raise PriceError(f"{key}: per must be a positive number, not {per!r}")
    if not unit.strip():
        raise PriceError(f"{key}: no unit")
    if not source.startswith("https://"):
        raise PriceError(f"{key}: the source must be an https:// address, not {source!r}")
    tiers = tuple((float(bound), float(rate)) for bound, rate in raw.get("tiers") or ())  # type: ignore[attr-defined]
    if tiers and (any(b2 <= b1 for (b1, _), (b2, _) in itertools.pairwise(tiers))
                  or not math.isinf(tiers[-1][0])):
        raise PriceError(f"{key}: tiers must rise and end with an infinite bound")
    return Price(key, float(amount), float(per), unit, source, str(raw.get("checked") or ""),
                 tiers)


def tiered_cost(quantity: float, tiers: Sequence[tuple[float, float]]) -> float:
    """Dollars for ``quantity`` units a month over volume tiers (each bound cumulative)."""
    total, below = 0.0, 0.0
    for bound, rate in tiers:
        if quantity <= below:
            break
        total += (min(quantity, bound) - below) * rate
        below = bound
    return total


def lambda_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """GB-seconds billed for one invocation: duration rounded up to the next 1 ms."""
    billed_ms = math.ceil(duration_ms / LAMBDA_MS_STEP) * LAMBDA_MS_STEP
    return billed_ms / 1000 * memory_mb / 1024


def read_units(item_bytes: float, consistent: bool = False, transactional: bool = False
               ) -> float:
    """DynamoDB read request units of one item read (4 KB steps; eventual half)."""
    units = max(1, math.ceil(item_bytes / 4096))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(item_bytes: float, transactional: bool = False) -> float:
    """DynamoDB write request units of one item written (1 KB steps)."""
    units = max(1, math.ceil(item_bytes / 1024))
    return 2.0 * units if transactional else float(units)


@dataclass
class Usage:
    """Billed quantities, summed. All counts are per whatever the usage describes."""

    lambda_invocations: float = 0.0
    lambda_gb_s: float = 0.0
    lambda_ephemeral_gb_s: float = 0.0
    api_requests: float = 0.0
    dynamodb_rru: float = 0.0
    dynamodb_wru: float = 0.0
    dynamodb_bytes_stored: float = 0.0
    s3_get: float = 0.0
    s3_put: float = 0.0
    s3_bytes_stored: float = 0.0  # kept for a month
    sqs_requests: float = 0.0
    log_bytes: float = 0.0
    response_bytes: float = 0.0  # API responses (through API Gateway)
    video_bytes: float = 0.0  # segments sent to players
    video_requests: float = 0.0  # segment fetches from S3 or CloudFront
    aws_calls: dict[str, float] = field(default_factory=dict)  # "dynamodb.GetItem" -> count

    def __add__(self, other: Usage) -> Usage:
        merged = {f.name: getattr(self, f.name) + getattr(other, f.name)
                  for f in fields(self) if f.name != "aws_calls"}
        calls = dict(self.aws_calls)
        for name, count in other.aws_calls.items():
            calls[name] = calls.get(name, 0.0) + count
        return Usage(**merged, aws_calls=calls)

    def scaled(self, factor: float) -> Usage:
        merged = {f.name: getattr(self, f.name) * factor
                  for f in fields(self) if f.name != "aws_calls"}
        return Usage(**merged, aws_calls={k: v * factor for k, v in self.aws_calls.items()})


def total(usages: Iterable[Usage]) -> Usage:
    out = Usage()
    for usage in usages:
        out = out + usage
    return out


@dataclass(frozen=True)
class Options:
    """How the service is deployed, for pricing."""

    arm64: bool = False
    http_api: bool = False  # API Gateway HTTP API instead of REST
    cloudfront: bool = True  # video through CloudFront; else straight from S3
    cdn_miss_ratio: float = 0.1  # share of CloudFront segment requests that go to S3


@dataclass(frozen=True)
class LineItem:
    name: str
    quantity: float
    unit: str
    dollars: float
    transfer: bool = False  # data sent to viewers (the usual biggest cost)


def line_items(usage: Usage, prices: Prices, options: Options = Options()
               ) -> list[LineItem]:
    """One priced line per billed dimension of ``usage`` (first-tier rates)."""
    compute = prices["lambda_gb_second_arm64" if options.arm64 else "lambda_gb_second_x86"]
    api = prices["api_gateway_http_requests" if options.http_api
                 else "api_gateway_rest_requests"]
    lines = [
        LineItem("Lambda requests", usage.lambda_invocations, "invocations",
                 prices["lambda_requests"].cost(usage.lambda_invocations)),
        LineItem("Lambda compute" + (" (arm64)" if options.arm64 else " (x86)"),
                 usage.lambda_gb_s, "GB-s", compute.cost(usage.lambda_gb_s)),
        LineItem("Lambda ephemeral storage", usage.lambda_ephemeral_gb_s, "GB-s",
                 prices["lambda_ephemeral_gb_second"].cost(usage.lambda_ephemeral_gb_s)),
        LineItem("API Gateway " + ("HTTP API" if options.http_api else "REST"),
                 usage.api_requests, "requests", api.cost(usage.api_requests)),
        LineItem("DynamoDB reads", usage.dynamodb_rru, "RRU",
                 prices["dynamodb_read_request_units"].cost(usage.dynamodb_rru)),
        LineItem("DynamoDB writes", usage.dynamodb_wru, "WRU",
                 prices["dynamodb_write_request_units"].cost(usage.dynamodb_wru)),
        LineItem("DynamoDB storage (a month)", usage.dynamodb_bytes_stored / GB, "GB-month",
                 prices["dynamodb_storage_gb_month"].cost(usage.dynamodb_bytes_stored / GB)),
        LineItem("S3 PUT/COPY/LIST", usage.s3_put, "requests",
                 prices["s3_put_requests"].cost(usage.s3_put)),
        LineItem("S3 storage (a month)", usage.s3_bytes_stored / GB, "GB-month",
                 prices["s3_storage_gb_month"].cost(usage.s3_bytes_stored / GB)),
        LineItem("SQS requests", usage.sqs_requests, "requests",
                 prices["sqs_requests"].cost(usage.sqs_requests)),
        LineItem("CloudWatch Logs ingestion", usage.log_bytes / GB, "GB",
                 prices["cloudwatch_logs_ingest_gb"].cost(usage.log_bytes / GB)),
    ]
    video_gb = usage.video_bytes / GB
    api_gb = usage.response_bytes / GB
    if options.cloudfront:
        misses = usage.video_requests * options.cdn_miss_ratio
        lines += [
            LineItem("S3 GET (app reads + CDN misses)", usage.s3_get + misses, "requests",
                     prices["s3_get_requests"].cost(usage.s3_get + misses)),
            LineItem("CloudFront requests (segments)", usage.video_requests, "requests",
                     prices["cloudfront_https_requests"].cost(usage.video_requests)),
            LineItem("Transfer out: video via CloudFront", video_gb, "GB",
                     prices["cloudfront_transfer_out_gb"].cost(video_gb), transfer=True),
        ]
    else:
        gets = usage.s3_get + usage.video_requests
        lines += [
            LineItem("S3 GET (app reads + segments)", gets, "requests",
                     prices["s3_get_requests"].cost(gets)),
            LineItem("Transfer out: video from S3", video_gb, "GB",
                     prices["s3_transfer_out_gb"].cost(video_gb), transfer=True),
        ]
    # API Gateway's responses leave AWS at the regional internet rate (as from S3).
    lines.append(LineItem("Transfer out: API responses", api_gb, "GB",
                          prices["s3_transfer_out_gb"].cost(api_gb), transfer=True))
    return lines


def fixed_monthly(prices: Prices, neo4j_volume_gb: float = 50, nat_gateways: int = 1
                  ) -> list[LineItem]:
    """The always-on parts, a month: a Redis node, Neo4j on EC2 with its volume, NAT."""
    hours = prices.hours_per_month
    return [
        LineItem("ElastiCache cache.t4g.small (Redis)", hours, "hours",
                 prices["elasticache_cache_t4g_small_hour"].cost(hours)),
        LineItem("EC2 t4g.large (Neo4j Community)", hours, "hours",
                 prices["ec2_t4g_large_hour"].cost(hours)),
        LineItem(f"EBS gp3 {neo4j_volume_gb:g} GB (Neo4j data)", neo4j_volume_gb, "GB-month",
                 prices["ebs_gp3_gb_month"].cost(neo4j_volume_gb)),
        LineItem(f"NAT gateway x{nat_gateways}", hours * nat_gateways, "hours",
                 prices["nat_gateway_hour"].cost(hours * nat_gateways)),
    ]


def dollars(lines: Iterable[LineItem]) -> float:
    return sum(line.dollars for line in lines)


def biggest(lines: Sequence[LineItem], transfer: bool | None = None) -> LineItem:
    """The costliest line (only transfer lines, or only the others, when asked)."""
    chosen = [line for line in lines if transfer is None or line.transfer == transfer]
    if not chosen:
        raise ValueError("no line items to choose from")
    return max(chosen, key=lambda line: line.dollars)


def with_transfer_tiers(lines: Sequence[LineItem], prices: Prices, monthly_gb: float,
                        share: float) -> list[LineItem]:
    """Re-price the CloudFront video line at the volume tiers of the whole service's month.

    ``monthly_gb`` is the service's total video GB a month, ``share`` the part of it these
    lines stand for (e.g. 1,000 of 10,000 subscribers: 0.1).
    """
    price = prices["cloudfront_transfer_out_gb"]
    out = []
    for line in lines:
        if line.name == "Transfer out: video via CloudFront" and price.tiers:
            tiered = tiered_cost(monthly_gb, price.tiers) * share
            line = replace(line, name=line.name + " (volume tiers)", dollars=tiered)
        out.append(line)
    return out
