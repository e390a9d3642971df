"""The gateway responses put on the deployed REST API (moto's API Gateway)."""

from __future__ import annotations

import boto3

from infra.gateway_responses import apply, load
from localcloud.isolation import unique
from tests.inprocess import InProcessCloud


def test_the_responses_are_put_on_the_api_and_its_stage_redeployed(
        cloud: InProcessCloud) -> None:
    # the in-process moto (a mock_aws of its own would reset the other tests' tables)
    with cloud.active():
        client = boto3.client("apigateway", region_name="us-east-1")
        api = client.create_rest_api(name=unique("notflix-"))["id"]
        root = client.get_resources(restApiId=api)["items"][0]["id"]
        client.put_method(restApiId=api, resourceId=root, httpMethod="GET",
                          authorizationType="NONE")
        client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        put = apply(client, api, "api")
        assert put == ["MISSING_AUTHENTICATION_TOKEN"]
        answer = client.get_gateway_response(restApiId=api,
                                             responseType="MISSING_AUTHENTICATION_TOKEN")
        assert answer["statusCode"] == "404"
        assert set(answer["responseTemplates"]) == {"application/json", "text/html"}
        assert answer["responseParameters"][
            "gatewayresponse.header.Cache-Control"] == "'no-store'"
        assert [d["description"] for d in client.get_deployments(restApiId=api)["items"]]


def test_the_template_is_chosen_by_the_accept_header() -> None:
    missing = load()["MISSING_AUTHENTICATION_TOKEN"]
    assert missing.body_for("text/html,*/*;q=0.8")[0] == "text/html"
    assert missing.body_for("application/json")[0] == "application/json"
    assert missing.body_for("")[0] == "application/json"
    assert missing.status == 404
