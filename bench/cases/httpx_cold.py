"""Cold start floor, raw httpx: import, one unsigned POST of the same bytes, json.loads.

Like personalize-lite for a plain-http endpoint, the client loads no CA bundle (a
context that trusts nothing): loading certifi is not part of the floor of an http call.
"""

import json
import ssl
import sys

import httpx
from _request import BODY, RAW_HEADERS

with httpx.Client(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) as client:
    reply = client.post(sys.argv[1] + "/", content=BODY, headers=RAW_HEADERS)
status = json.loads(reply.content)["batchInferenceJob"]["status"]
if status != "ACTIVE":
    sys.exit(f"unexpected status {status!r}")
