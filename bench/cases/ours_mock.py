"""No network, personalize-lite: build + sign + parse, plus httpx's own request and
response handling, through an httpx.MockTransport replaying nginx's reply.

Also checks that the raw httpx floors still send what the client sends (header names and
body) for describe, create and the three requests of a listing, and runs ``split_ours()``.
"""

import httpx
from _measure import arguments, emit, time_sync
from _mock import Replay, fetch_reply
from _replies import CREATE_TARGET, LIST_PAGES, create_reply, list_page
from _request import (
    ARN,
    BODY,
    CREATE_ARGS,
    CREATE_BODY,
    CREATE_HEADERS,
    LIST_BODIES,
    LIST_HEADERS,
    RAW_HEADERS,
    REGION,
)
from _split import split_ours

import personalize_lite


def floor_mismatch(sent: httpx.Request, floor: httpx.Request) -> list[str]:
    """How the floor's request differs from the one personalize-lite sent, if it does."""
    ours, raw = sorted(sent.headers.keys()), sorted(floor.headers.keys())
    notes = []
    if ours != raw:
        notes.append(f"header names differ: personalize-lite sends {ours}, the floor {raw}")
    if sent.content != floor.content:
        notes.append(f"bodies differ: personalize-lite sends {sent.content!r}")
    return notes


def as_nginx(request: httpx.Request) -> httpx.Response:
    """nginx's create and list replies (bench/nginx.conf.template), chosen the same way."""
    if request.headers["X-Amz-Target"] == CREATE_TARGET:
        body = create_reply()
    else:
        size = len(request.content)
        body = list_page(1 if size < 100 else 2 if size < 200 else 3)
    return httpx.Response(200, headers={"Content-Type": "application/x-amz-json-1.1"}, text=body)


def build(
    http_client: httpx.Client, endpoint_url: str, body: bytes, headers: dict[str, str]
) -> httpx.Request:
    return http_client.build_request("POST", endpoint_url + "/", content=body, headers=headers)


def create_and_list_mismatch(endpoint_url: str) -> list[str]:
    """The floors' create and list requests against what personalize-lite sends."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) > 1 + LIST_PAGES:
            raise RuntimeError("the listing did not end")
        return as_nginx(request)

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http_client,
        personalize_lite.PersonalizeClient(
            endpoint_url=endpoint_url, region=REGION, http_client=http_client
        ) as client,
    ):
        client.create_batch_inference_job(**CREATE_ARGS)
        list(client.list_batch_inference_jobs())
        floors = [(CREATE_BODY, CREATE_HEADERS)] + [(body, LIST_HEADERS) for body in LIST_BODIES]
        if len(sent) != len(floors):
            return [f"one create and one listing sent {len(sent)} requests, not {len(floors)}"]
        return [
            note
            for request, (body, headers) in zip(sent, floors, strict=True)
            for note in floor_mismatch(
                request,
                http_client.build_request(
                    "POST", endpoint_url + "/", content=body, headers=headers
                ),
            )
        ]


endpoint_url, calls, warmup = arguments()
reply = fetch_reply(endpoint_url)
replay = Replay(reply)
with (
    httpx.Client(transport=httpx.MockTransport(replay)) as http_client,
    personalize_lite.PersonalizeClient(
        endpoint_url=endpoint_url, region=REGION, http_client=http_client
    ) as client,
):
    result = time_sync(
        lambda: client.describe_batch_inference_job(ARN),
        lambda job: job.status == "ACTIVE",
        calls=calls,
        warmup=warmup,
    )
    assert replay.last_request is not None
    notes = floor_mismatch(
        replay.last_request,
        http_client.build_request("POST", endpoint_url + "/", content=BODY, headers=RAW_HEADERS),
    )
    notes += create_and_list_mismatch(endpoint_url)
    split = split_ours(
        client=client,
        http_client=http_client,
        reply=reply,
        endpoint_url=endpoint_url,
        calls=calls,
    )
emit({**result, **{f"split.{name}": value for name, value in split.items()}, "notes": notes})
