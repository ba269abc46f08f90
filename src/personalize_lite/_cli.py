"""The ``personalize-lite`` command line.

    personalize-lite describe ARN [--region R] [--profile P] [--endpoint-url URL] [--output json]

Exit codes: 0 success, 1 service or transport error, 2 usage or validation error.
Errors are one line on stderr; ``--debug`` adds DEBUG logging (secrets never appear)
and the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Final

from ._converter import make_converter
from ._errors import (
    ConfigurationError,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
)
from ._models import BatchInferenceJob
from ._sync_client import PersonalizeClient
from ._version import __version__

__all__ = ["main"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="personalize-lite",
        description="Amazon Personalize DescribeBatchInferenceJob without boto3.",
    )
    parser.add_argument("--version", action="version", version=f"personalize-lite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    describe = commands.add_parser("describe", help="describe a batch inference job")
    describe.add_argument("arn", help="the batch inference job ARN")
    describe.add_argument("--region", help="AWS region (default: AWS_REGION, profile)")
    describe.add_argument("--profile", help="named profile from ~/.aws/config")
    describe.add_argument("--endpoint-url", help="override the endpoint URL")
    describe.add_argument("--output", choices=["json"], default="json", help="output format")
    describe.add_argument(
        "--debug", action="store_true", help="DEBUG logging (redacted) and tracebacks"
    )
    return parser


def job_json(job: BatchInferenceJob) -> str:
    """The shape ``aws personalize describe-batch-inference-job`` prints."""
    body = make_converter(timestamps="iso8601").unstructure(job)
    return json.dumps({"batchInferenceJob": body}, indent=4, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        # Only our own lines: third-party DEBUG output is not ours to vouch for.
        for name in ("httpx", "httpcore", "botocore", "hpack"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        with PersonalizeClient(
            region=args.region,
            profile=args.profile,
            endpoint_url=args.endpoint_url,
            allow_http=False,
        ) as client:
            job = client.describe_batch_inference_job(args.arn)
    except (ParamValidationError, ConfigurationError, NoCredentialsError) as exc:
        return _fail(exc, EXIT_USAGE, debug=args.debug)
    except PersonalizeError as exc:
        return _fail(exc, EXIT_ERROR, debug=args.debug)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(job_json(job))
    return EXIT_OK


def _fail(exc: PersonalizeError, code: int, *, debug: bool) -> int:
    if debug:
        logging.getLogger("personalize_lite").exception("command failed")
    text = str(exc) if isinstance(exc, PersonalizeServiceError) else f"{type(exc).__name__}: {exc}"
    print(f"personalize-lite: error: {text}", file=sys.stderr)
    return code
