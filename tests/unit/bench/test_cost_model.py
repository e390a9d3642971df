"""The cost model's arithmetic (bench/cost_model.py, bench/cost_meter.py) and its prices file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.cost import chalice_setting
from bench.cost_meter import (
    AwsCall,
    LogMeter,
    body_size,
    describe,
    dynamodb_units,
    emf_metrics,
    item_size,
    usage_of,
    value_size,
)
from bench.cost_model import (
    GB,
    PRICES_FILE,
    LineItem,
    Options,
    Price,
    PriceError,
    Prices,
    Usage,
    biggest,
    dollars,
    fixed_monthly,
    lambda_gb_seconds,
    line_items,
    load_prices,
    parse_price,
    read_units,
    tiered_cost,
    with_transfer_tiers,
    write_units,
)

URL = "https://aws.amazon.com/x/pricing/"


def price(key: str, amount: float, per: float = 1, tiers: tuple[tuple[float, float], ...] = ()
          ) -> Price:
    return Price(key, amount, per, "unit", URL, tiers=tiers)


def simple_prices() -> Prices:
    """Round numbers, so every expected dollar figure below is computed by hand."""
    items = [
        price("lambda_gb_second_x86", 0.00001), price("lambda_gb_second_arm64", 0.000008),
        price("lambda_requests", 0.20, 1_000_000), price("lambda_ephemeral_gb_second", 0.0),
        price("api_gateway_rest_requests", 3.50, 1_000_000),
        price("api_gateway_http_requests", 1.00, 1_000_000),
        price("dynamodb_write_request_units", 1.0, 1_000_000),
        price("dynamodb_read_request_units", 0.25, 1_000_000),
        price("dynamodb_storage_gb_month", 0.25), price("s3_storage_gb_month", 0.02),
        price("s3_put_requests", 0.005, 1_000), price("s3_get_requests", 0.0004, 1_000),
        price("s3_transfer_out_gb", 0.09),
        price("cloudfront_transfer_out_gb", 0.08, tiers=((10, 0.08), (math.inf, 0.04))),
        price("cloudfront_https_requests", 0.01, 10_000), price("sqs_requests", 0.40, 1_000_000),
        price("cloudwatch_logs_ingest_gb", 0.50),
        price("elasticache_cache_t4g_small_hour", 0.03), price("ec2_t4g_large_hour", 0.07),
        price("ebs_gp3_gb_month", 0.08), price("nat_gateway_hour", 0.045),
    ]
    return Prices("us-east-1", "test", 730, {p.key: p for p in items})


def by_name(lines: list[LineItem]) -> dict[str, float]:
    return {line.name: line.dollars for line in lines}


# -- the prices file ------------------------------------------------------------------------------
def test_the_prices_file_parses_and_every_price_has_a_unit_and_a_source() -> None:
    prices = load_prices()
    assert prices.region == "us-east-1" and prices.as_published
    needed = set(simple_prices().items) | {"cloudwatch_logs_storage_gb_month", "nat_gateway_gb"}
    assert needed <= set(prices.items), needed - set(prices.items)
    for key, item in prices.items.items():
        assert item.unit.strip(), key
        assert item.source.startswith("https://aws.amazon.com/"), key
        assert item.checked, key
        assert item.amount > 0 and item.per > 0, key
    # the published figures the headline numbers rest on
    assert prices["lambda_gb_second_x86"].amount == pytest.approx(0.0000166667)
    assert prices["lambda_requests"].cost(1_000_000) == pytest.approx(0.20)
    assert prices["dynamodb_write_request_units"].cost(2_000_000) == pytest.approx(1.25)
    assert prices["cloudfront_transfer_out_gb"].tiers[0] == (10_240, 0.085)
    assert math.isinf(prices["cloudfront_transfer_out_gb"].tiers[-1][0])


@pytest.mark.parametrize(("raw", "complaint"), [
    ({"amount": 1, "per": 1, "source": URL}, "no unit"),
    ({"amount": 1, "per": 1, "unit": "GB"}, "source"),
    ({"amount": 1, "per": 1, "unit": "GB", "source": "http://example.com"}, "source"),
    ({"amount": -1, "per": 1, "unit": "GB", "source": URL}, "amount"),
    ({"amount": "1", "per": 1, "unit": "GB", "source": URL}, "amount"),
    ({"amount": 1, "per": 0, "unit": "GB", "source": URL}, "per"),
    ({"amount": 1, "per": 1, "unit": "GB", "source": URL, "tiers": [[10, 1], [5, 1]]}, "tiers"),
    ({"amount": 1, "per": 1, "unit": "GB", "source": URL, "tiers": [[10, 1]]}, "tiers"),
])
def test_a_price_without_its_unit_source_or_sense_is_refused(raw: dict[str, object],
                                                             complaint: str) -> None:
    with pytest.raises(PriceError, match=complaint):
        parse_price("p", raw)


def test_a_prices_file_without_meta_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(f'[prices.x]\namount = 1\nper = 1\nunit = "GB"\nsource = "{URL}"\n')
    with pytest.raises(PriceError, match="meta"):
        load_prices(path)
    assert PRICES_FILE.exists()


# -- units -----------------------------------------------------------------------------------------
def test_lambda_bills_whole_milliseconds_at_the_configured_memory() -> None:
    assert lambda_gb_seconds(10.0, 1024) == pytest.approx(0.010)
    assert lambda_gb_seconds(10.2, 1024) == pytest.approx(0.011)  # rounded up
    assert lambda_gb_seconds(1000.0, 512) == pytest.approx(0.5)
    assert lambda_gb_seconds(2000.0, 3008) == pytest.approx(2 * 3008 / 1024)


def test_dynamodb_request_units_round_up_per_item() -> None:
    assert read_units(100) == 0.5  # eventually consistent, up to 4 KB
    assert read_units(100, consistent=True) == 1.0
    assert read_units(4097, consistent=True) == 2.0
    assert read_units(5000, transactional=True) == 4.0
    assert write_units(0) == 1.0
    assert write_units(1025) == 2.0
    assert write_units(1024, transactional=True) == 2.0


def test_item_sizes_count_names_and_values() -> None:
    assert value_size({"S": "héllo"}) == 6  # UTF-8 bytes
    assert value_size({"N": "12345"}) == 4  # (5 digits + 1) // 2 + 1
    assert value_size({"BOOL": True}) == 1
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert item_size({"id": {"S": "abc"}, "n": {"N": "7"}}) == (2 + 3) + (1 + 2)
    assert item_size(None) == 0


def test_units_of_dynamodb_calls_from_their_items() -> None:
    big = {"id": {"S": "x" * 5000}}  # ~5 KB: two 4 KB read steps, five 1 KB write steps
    assert dynamodb_units("GetItem", {"ConsistentRead": True}, {"Item": big}) == (2.0, 0.0, 0.0)
    assert dynamodb_units("GetItem", {}, {}) == (0.5, 0.0, 0.0)  # a miss still costs
    rru, wru, stored = dynamodb_units("PutItem", {"Item": big}, {})
    assert (rru, wru, stored) == (0.0, 5.0, 5002 + 100)
    # a query sums its items' sizes before rounding; filtered items were read too
    small = {"id": {"S": "x" * 998}}  # 1,000 bytes
    assert dynamodb_units("Query", {}, {"Items": [small] * 3, "Count": 3,
                                        "ScannedCount": 3})[0] == 0.5
    assert dynamodb_units("Query", {}, {"Items": [small] * 3, "Count": 3,
                                        "ScannedCount": 6})[0] == 1.0
    batch = {"RequestItems": {"t": [{"PutRequest": {"Item": small}},
                                    {"DeleteRequest": {"Key": {"id": {"S": "k"}}}}]}}
    assert dynamodb_units("BatchWriteItem", batch, {}) == (0.0, 2.0, 1100.0)
    transact = {"TransactItems": [{"Put": {"Item": small}},
                                  {"Update": {"Key": {"id": {"S": "k"}}}}]}
    assert dynamodb_units("TransactWriteItems", transact, {})[1] == 4.0
    assert dynamodb_units("UpdateItem", {}, {"Attributes": big})[1] == 5.0
    assert dynamodb_units("DescribeTable", {}, {}) == (0.0, 0.0, 0.0)


def test_calls_add_up_to_a_usage_by_request_class() -> None:
    usage = usage_of([
        AwsCall("dynamodb", "GetItem", rru=0.5), AwsCall("dynamodb", "PutItem", wru=2,
                                                         stored_bytes=300),
        AwsCall("s3", "GetObject"), AwsCall("s3", "HeadObject"),
        AwsCall("s3", "PutObject", stored_bytes=1000), AwsCall("s3", "ListObjectsV2"),
        AwsCall("s3", "DeleteObject"), AwsCall("sqs", "SendMessage"),
        AwsCall("sqs", "GetQueueUrl")])
    assert (usage.dynamodb_rru, usage.dynamodb_wru) == (0.5, 2.0)
    assert (usage.s3_get, usage.s3_put, usage.sqs_requests) == (2, 2, 2)
    assert (usage.s3_bytes_stored, usage.dynamodb_bytes_stored) == (1000, 300)
    assert usage.aws_calls["s3.DeleteObject"] == 1


# -- pricing ---------------------------------------------------------------------------------------
def test_tiers_charge_each_slice_at_its_rate() -> None:
    tiers = ((10.0, 1.0), (50.0, 0.5), (math.inf, 0.1))
    assert tiered_cost(0, tiers) == 0
    assert tiered_cost(5, tiers) == 5.0
    assert tiered_cost(30, tiers) == 10 + 20 * 0.5
    assert tiered_cost(150, tiers) == pytest.approx(10 + 40 * 0.5 + 100 * 0.1)


def test_line_items_price_every_dimension() -> None:
    usage = Usage(lambda_invocations=1_000_000, lambda_gb_s=100_000, api_requests=2_000_000,
                  dynamodb_rru=4_000_000, dynamodb_wru=3_000_000, s3_get=10_000, s3_put=2_000,
                  sqs_requests=500_000, log_bytes=2 * GB, video_bytes=100 * GB,
                  video_requests=20_000, response_bytes=1 * GB, s3_bytes_stored=50 * GB)
    lines = by_name(line_items(usage, simple_prices(), Options(cdn_miss_ratio=0.5)))
    assert lines["Lambda requests"] == pytest.approx(0.20)
    assert lines["Lambda compute (x86)"] == pytest.approx(1.0)
    assert lines["API Gateway REST"] == pytest.approx(7.0)
    assert lines["DynamoDB reads"] == pytest.approx(1.0)
    assert lines["DynamoDB writes"] == pytest.approx(3.0)
    assert lines["S3 PUT/COPY/LIST"] == pytest.approx(0.01)
    assert lines["S3 storage (a month)"] == pytest.approx(1.0)
    assert lines["SQS requests"] == pytest.approx(0.20)
    assert lines["CloudWatch Logs ingestion"] == pytest.approx(1.0)
    # CloudFront: half the 20,000 segment requests miss and GET from S3
    assert lines["S3 GET (app reads + CDN misses)"] == pytest.approx(20_000 * 0.0004 / 1000)
    assert lines["CloudFront requests (segments)"] == pytest.approx(0.02)
    assert lines["Transfer out: video via CloudFront"] == pytest.approx(8.0)
    assert lines["Transfer out: API responses"] == pytest.approx(0.09)
    straight = by_name(line_items(usage, simple_prices(),
                                  Options(cloudfront=False, arm64=True, http_api=True)))
    assert straight["Transfer out: video from S3"] == pytest.approx(9.0)
    assert straight["S3 GET (app reads + segments)"] == pytest.approx(30_000 * 0.0004 / 1000)
    assert straight["Lambda compute (arm64)"] == pytest.approx(0.8)
    assert straight["API Gateway HTTP API"] == pytest.approx(2.0)


def test_usages_add_and_scale() -> None:
    one = Usage(lambda_invocations=1, api_requests=1, aws_calls={"s3.GetObject": 1})
    two = Usage(lambda_invocations=2, video_bytes=10, aws_calls={"s3.GetObject": 2,
                                                                 "sqs.SendMessage": 1})
    both = (one + two).scaled(10)
    assert (both.lambda_invocations, both.api_requests, both.video_bytes) == (30, 10, 100)
    assert both.aws_calls == {"s3.GetObject": 30, "sqs.SendMessage": 10}
    assert one.aws_calls == {"s3.GetObject": 1}  # operands untouched


def test_the_biggest_cost_and_the_biggest_other_one() -> None:
    lines = [LineItem("a", 1, "x", 2.0), LineItem("video", 1, "GB", 9.0, transfer=True),
             LineItem("b", 1, "x", 3.0)]
    assert biggest(lines).name == "video"
    assert biggest(lines, transfer=False).name == "b"
    assert dollars(lines) == 14.0
    with pytest.raises(ValueError):
        biggest([], transfer=True)


def test_fixed_costs_run_all_month_and_tiers_reprice_the_video_share() -> None:
    prices = simple_prices()
    fixed = by_name(fixed_monthly(prices, neo4j_volume_gb=50, nat_gateways=2))
    assert fixed["ElastiCache cache.t4g.small (Redis)"] == pytest.approx(730 * 0.03)
    assert fixed["EC2 t4g.large (Neo4j Community)"] == pytest.approx(730 * 0.07)
    assert fixed["EBS gp3 50 GB (Neo4j data)"] == pytest.approx(4.0)
    assert fixed["NAT gateway x2"] == pytest.approx(2 * 730 * 0.045)
    lines = line_items(Usage(video_bytes=20 * GB), prices)
    # the whole service sends 40 GB a month (10 at 0.08, 30 at 0.04); these lines are half
    tiered = by_name(with_transfer_tiers(lines, prices, monthly_gb=40, share=0.5))
    assert tiered["Transfer out: video via CloudFront (volume tiers)"] == pytest.approx(
        (10 * 0.08 + 30 * 0.04) * 0.5)


def test_put_bodies_are_sized_whatever_their_form() -> None:
    import io

    assert body_size(b"abcd") == 4
    stream = io.BytesIO(b"0123456789")
    stream.seek(3)
    assert body_size(stream) == 7 and stream.tell() == 3  # left where it was
    assert body_size(None) == 0
    assert describe("s3", "PutObject", {}, {}, body_bytes=10).stored_bytes == 10
    assert describe("s3", "GetObject", {}, {}, body_bytes=10).stored_bytes == 0


def test_log_meter_counts_logger_lines_and_stdout_and_restores_both() -> None:
    import logging
    import sys

    logger = logging.getLogger("cost-meter-test")
    handler = logging.StreamHandler(sys.stderr)
    logger.addHandler(handler)
    before = sys.stdout
    meter = LogMeter(["cost-meter-test"])
    meter.install()
    try:
        logger.warning("héllo")  # 6 bytes + newline
        print("abc")  # 3 bytes + newline
    finally:
        meter.uninstall()
        logger.removeHandler(handler)
    assert meter.take() == 7 + 4
    assert meter.take() == 0
    assert sys.stdout is before and handler.stream is sys.stderr


def test_memory_settings_resolve_as_chalice_resolves_them() -> None:
    config = {"lambda_memory_size": 1024,
              "lambda_functions": {"sync_graph": {"lambda_memory_size": 512}},
              "stages": {"dev": {"lambda_functions": {"run": {"lambda_memory_size": 2048}}},
                         "big": {"lambda_memory_size": 3008}}}
    assert chalice_setting(config, "dev", "api_handler", "lambda_memory_size", 128) == 1024
    assert chalice_setting(config, "dev", "sync_graph", "lambda_memory_size", 128) == 512
    assert chalice_setting(config, "dev", "run", "lambda_memory_size", 128) == 2048
    assert chalice_setting(config, "big", "sync_graph", "lambda_memory_size", 128) == 3008
    assert chalice_setting({}, "dev", "x", "lambda_memory_size", 128) == 128


def test_each_emf_metric_and_dimension_set_is_one_custom_metric() -> None:
    line = ('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":'
            '[["service"],["service","route"]],"Metrics":[{"Name":"Requests"},'
            '{"Name":"Latency"}]}]},"service":"api","route":"/a","Requests":[1],"Latency":[2]}')
    found = emf_metrics(line)
    assert len(found) == 4  # 2 metrics x 2 dimension sets
    assert ("N", "Latency", (("service", "api"), ("route", "/a"))) in found
    assert emf_metrics('{"level":"INFO"}') == set() and emf_metrics('{"_aws": oops') == set()
    meter = LogMeter([])
    meter.install()
    try:
        print(line)
        print(line.replace('"/a"', '"/b"'))  # another route: two more metrics
    finally:
        meter.uninstall()
    assert len(meter.metrics) == 6
