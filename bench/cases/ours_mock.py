"""No network, personalize-lite: build + sign + parse, plus httpx's own request and
response handling, through an httpx.MockTransport replaying nginx's reply.

Also checks that the raw httpx floors still send what the client sends (header names and
body), and runs ``split_ours()``.
"""

import httpx
from _measure import arguments, emit, time_sync
from _mock import Replay, fetch_reply
from _request import ARN, BODY, RAW_HEADERS, REGION
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
    split = split_ours(
        client=client,
        http_client=http_client,
        reply=reply,
        endpoint_url=endpoint_url,
        calls=calls,
    )
emit({**result, **{f"split.{name}": value for name, value in split.items()}, "notes": notes})
