"""Cold start floor, raw httpx: import, one unsigned POST of the same bytes, json.loads."""

import json
import sys

import httpx
from _request import BODY, RAW_HEADERS

with httpx.Client() as client:
    reply = client.post(sys.argv[1] + "/", content=BODY, headers=RAW_HEADERS)
status = json.loads(reply.content)["batchInferenceJob"]["status"]
if status != "ACTIVE":
    sys.exit(f"unexpected status {status!r}")
