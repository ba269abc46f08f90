"""Cold start floor of personalize-lite's dependencies: the raw httpx call of
``httpx_cold`` in a process that has also imported what the client cannot do without
(botocore's signer, attrs, cattrs). What personalize-lite adds on top is its own cost."""

import json
import ssl
import sys

import attrs  # noqa: F401
import botocore.auth  # noqa: F401
import cattrs  # noqa: F401
import httpx
from _request import BODY, RAW_HEADERS

with httpx.Client(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) as client:
    reply = client.post(sys.argv[1] + "/", content=BODY, headers=RAW_HEADERS)
status = json.loads(reply.content)["batchInferenceJob"]["status"]
if status != "ACTIVE":
    sys.exit(f"unexpected status {status!r}")
