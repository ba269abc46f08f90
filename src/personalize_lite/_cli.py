"""The ``personalize-lite`` command line.

    personalize-lite describe ARN [--output json|table|text] [client options]
    personalize-lite wait ARN [--interval S] [--timeout S] [--output ...] [client options]
    personalize-lite create --job-name NAME --solution-version-arn ARN --role-arn ARN
                            --job-input s3://... --job-output s3://... [--num-results N]
                            [--filter-arn ARN] [--tag KEY=VALUE ...]
                            [--wait [--interval S] [--timeout S]] [--output ...] [client options]
    personalize-lite list [--solution-version-arn ARN] [--page-size N] [--output ...]
                          [client options]
    personalize-lite serve [--port 4566] [--host 127.0.0.1] [--fixtures DIR] [--region R]
                           [--access-key AKID [--secret-key-file PATH | --secret-key S]]
                           [--job-duration SECONDS] [--fail-jobs GLOB]

Client options: ``--region``, ``--profile``, ``--endpoint-url``, ``--debug``. No option turns
TLS verification off.

Exit codes: 0 success (``wait``, ``create --wait``: the job is ACTIVE), 1 service or
transport error (not found included), 2 usage or validation error, 3 the job failed (reason
printed), 4 ``wait`` timed out, 130 interrupted. Errors are one line on stderr; ``--debug``
adds DEBUG logging (secrets never appear) and the traceback. ``serve`` runs the local
emulator until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Final, TextIO

import attrs

from ._config import read_bounded
from ._converter import make_converter
from ._errors import (
    BatchInferenceJobFailed,
    ConfigurationError,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    WaiterTimeoutError,
)
from ._models import BatchInferenceJob, BatchInferenceJobSummary
from ._sync_client import PersonalizeClient
from ._version import __version__

__all__ = ["main"]

#: The emulator's secret for --access-key, when neither option gives one (the name the
#: emulator already used for the example key's secret; repeated here so that ``--help``
#: does not import the emulator).
SECRET_KEY_ENV: Final = "PERSONALIZE_LITE_EMULATOR_SECRET_KEY"  # noqa: S105 (a variable name)
#: Largest --secret-key-file read (AWS secret keys are 40 characters).
MAX_SECRET_FILE: Final = 4096
#: Repeated from personalize_lite.testing._server for ``--help`` (a test keeps them equal).
IDLE_TIMEOUT: Final = 10.0
MAX_CONNECTIONS: Final = 64
#: Repeated from personalize_lite.testing._jobs for ``--help`` (a test keeps them equal).
DEFAULT_JOB_DURATION: Final = 5.0
DEFAULT_FAIL_JOBS: Final = "fail-*"
MAX_JOBS: Final = 10_000
_REGION: Final = re.compile(r"[a-z0-9-]{1,64}", re.ASCII)

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_JOB_FAILED: Final = 3
EXIT_TIMEOUT: Final = 4
EXIT_INTERRUPTED: Final = 130
OUTPUTS: Final = ("json", "table", "text")
#: C0 and C1 controls: what a reply's strings must not bring to a terminal (escape
#: sequences can retitle, recolour or rewrite it) nor to a one-line error.
_CONTROLS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_C1: Final = re.compile(r"[\x7f-\x9f]")


def _printable(text: str) -> str:
    """``text`` with each run of control characters made one space."""
    return _CONTROLS.sub(" ", text)


def _write(text: str, stream: TextIO) -> None:
    """Print ``text`` whatever the stream's encoding: what it cannot encode (a lone
    surrogate from a reply's ``\\ud800``, or any character outside a legacy code page)
    is written as a backslash escape."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="personalize-lite",
        description="Amazon Personalize batch inference jobs without boto3.",
    )
    parser.add_argument("--version", action="version", version=f"personalize-lite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    describe = commands.add_parser("describe", help="describe a batch inference job")
    _client_options(describe)
    wait = commands.add_parser(
        "wait",
        help="wait until a batch inference job is ACTIVE (exit 3 if it fails, 4 on timeout)",
    )
    _client_options(wait)
    _wait_options(wait)
    create = commands.add_parser(
        "create",
        help="create a batch inference job; print its ARN (--wait: wait as `wait` does)",
        description=(
            'Create a batch inference job and print {"batchInferenceJobArn": ...} (JSON; '
            "--output text prints the ARN alone). With --wait, wait until it is ACTIVE as "
            "`wait` does and print the job: exit 3 if it fails, 4 on timeout."
        ),
    )
    _client_options(create, arn=False)
    create.add_argument("--job-name", required=True, metavar="NAME")
    create.add_argument("--solution-version-arn", required=True, metavar="ARN")
    create.add_argument("--role-arn", required=True, metavar="ARN")
    create.add_argument("--job-input", required=True, metavar="S3_PATH", help="s3://BUCKET/KEY")
    create.add_argument(
        "--job-output", required=True, metavar="S3_PATH", help="s3://BUCKET/PREFIX/"
    )
    create.add_argument("--num-results", type=int, metavar="N")
    create.add_argument("--filter-arn", metavar="ARN")
    create.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tag for the job (repeat for more)",
    )
    create.add_argument("--wait", action="store_true", help="wait until the job is ACTIVE")
    _wait_options(create)
    listing = commands.add_parser(
        "list",
        help="list batch inference jobs, newest first (all pages)",
        description=(
            "List batch inference jobs, all pages merged. json prints the AWS CLI's shape "
            '({"batchInferenceJobs": [...]}); table one job a line with a header; text one '
            "tab-separated line a job."
        ),
    )
    _client_options(listing, arn=False)
    listing.add_argument("--solution-version-arn", metavar="ARN", help="only this version's jobs")
    listing.add_argument(
        "--page-size", type=int, metavar="N", help="jobs per request, 1 to 100 (default 100)"
    )
    serve = commands.add_parser(
        "serve",
        help="run the local emulator (cassettes over HTTP, SigV4 checked)",
        description=(
            "Serve DescribeBatchInferenceJob from cassettes on a loopback address, to any "
            "client (boto3 and the AWS CLI included), checking SigV4 signatures. Accepts the "
            "AWS documentation's example keys (AKIDEXAMPLE) unless --access-key is given. "
            "Its secret comes from --secret-key-file (or --secret-key, which other users "
            f"can read in the process list), else ${SECRET_KEY_ENV}; without --access-key, "
            f"${SECRET_KEY_ENV} replaces the example secret. Malformed requests "
            "get JSON 1.1 errors; a connection idle for "
            f"{IDLE_TIMEOUT:g} s is closed; at most {MAX_CONNECTIONS} are served at once. "
            "Besides the recorded jobs it keeps live ones: CreateBatchInferenceJob makes a "
            "job that is PENDING for the first tenth of --job-duration, then IN_PROGRESS, "
            "then ACTIVE (or CREATE FAILED with a failureReason when its name matches "
            "--fail-jobs); ListBatchInferenceJobs lists live and recorded jobs newest first. "
            f"At most {MAX_JOBS} jobs are created. "
            "Prints one line when ready; stops on SIGINT or SIGTERM."
        ),
    )
    serve.set_defaults(serve_parser=serve)
    serve.add_argument("--port", type=int, default=4566, help="TCP port; 0 picks a free one")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    serve.add_argument(
        "--fixtures",
        metavar="DIR",
        type=Path,
        help="a directory of cassettes (*.json), or one cassette file (default: the bundled ones)",
    )
    serve.add_argument(
        "--region",
        help="accept only signatures whose credential scope names this region (default: any)",
    )
    serve.add_argument("--access-key", metavar="AKID", help="the one access key id to accept")
    serve.add_argument(
        "--job-duration",
        type=float,
        default=DEFAULT_JOB_DURATION,
        metavar="SECONDS",
        help=(
            "seconds a created job takes from PENDING to ACTIVE "
            f"(default {DEFAULT_JOB_DURATION:g}; 0: ACTIVE at once)"
        ),
    )
    serve.add_argument(
        "--fail-jobs",
        default=DEFAULT_FAIL_JOBS,
        metavar="GLOB",
        help=(
            "created jobs whose name matches GLOB end in CREATE FAILED "
            f"(default {DEFAULT_FAIL_JOBS})"
        ),
    )
    secret = serve.add_mutually_exclusive_group()
    secret.add_argument(
        "--secret-key-file",
        metavar="PATH",
        type=Path,
        help=(
            f"read its secret access key from PATH (the whole file, at most "
            f"{MAX_SECRET_FILE} bytes, surrounding whitespace removed)"
        ),
    )
    secret.add_argument(
        "--secret-key",
        metavar="SECRET",
        help=(
            "its secret access key; visible to other users in the process list: prefer "
            f"--secret-key-file or ${SECRET_KEY_ENV}"
        ),
    )
    return parser


def _wait_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--interval", type=float, default=30.0, metavar="S", help="seconds between polls (30)"
    )
    command.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")


def _client_options(command: argparse.ArgumentParser, *, arn: bool = True) -> None:
    if arn:
        command.add_argument("arn", help="the batch inference job ARN")
    command.add_argument("--output", choices=OUTPUTS, default="json", help="output format")
    command.add_argument("--region", help="AWS region (default: AWS_REGION, profile)")
    command.add_argument("--profile", help="named profile from ~/.aws/config")
    command.add_argument("--endpoint-url", help="override the endpoint URL")
    command.add_argument(
        "--debug", action="store_true", help="DEBUG logging (redacted) and tracebacks"
    )


def job_json(job: BatchInferenceJob, *, ascii_only: bool = False) -> str:
    """The shape ``aws personalize describe-batch-inference-job`` prints."""
    body = make_converter(timestamps="iso8601").unstructure(job)
    return json.dumps({"batchInferenceJob": body}, indent=4, ensure_ascii=ascii_only)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "-"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _elapsed(job: BatchInferenceJob, now: datetime) -> str:
    """Created to last update for a finished job; created to now for a running one."""
    if job.creation_date_time is None:
        return "-"
    end = job.last_updated_date_time if job.is_terminal else now
    return _duration(((end or now) - job.creation_date_time).total_seconds())


def _paths(job: BatchInferenceJob) -> tuple[str | None, str | None]:
    source = job.job_input.s3_data_source.path if job.job_input else None
    target = job.job_output.s3_data_destination.path if job.job_output else None
    return source, target


def job_table(job: BatchInferenceJob, now: datetime) -> str:
    """A readable summary, one field a line."""
    source, target = _paths(job)
    rows = [
        ("Name", job.job_name),
        ("Status", job.status),
        ("Mode", job.batch_inference_job_mode),
        ("Solution version", job.solution_version_arn),
        ("Input", source),
        ("Output", target),
        ("Created", _when(job.creation_date_time)),
        ("Updated", _when(job.last_updated_date_time)),
        ("Elapsed", _elapsed(job, now)),
    ]
    if job.failure_reason:
        rows.append(("Failure reason", job.failure_reason))
    return "\n".join(
        f"{label:<17} {_printable(value) if value is not None else '-'}" for label, value in rows
    )


def job_text(job: BatchInferenceJob) -> str:
    """One tab-separated line for scripts (``None`` for a missing field, as the AWS CLI)."""
    source, target = _paths(job)
    fields = [
        job.job_name,
        job.status,
        job.batch_inference_job_mode,
        job.solution_version_arn,
        source,
        target,
        job.creation_date_time.isoformat() if job.creation_date_time else None,
        job.last_updated_date_time.isoformat() if job.last_updated_date_time else None,
        job.failure_reason,
    ]
    return "\t".join("None" if f is None else _printable(f) for f in fields)


def summaries_json(jobs: Iterable[BatchInferenceJobSummary], *, ascii_only: bool = False) -> str:
    """The shape ``aws personalize list-batch-inference-jobs`` prints, all pages merged."""
    converter = make_converter(timestamps="iso8601")
    body = [converter.unstructure(job) for job in jobs]
    return json.dumps({"batchInferenceJobs": body}, indent=4, ensure_ascii=ascii_only)


_SUMMARY_COLUMNS: Final = ("NAME", "STATUS", "MODE", "CREATED", "UPDATED", "FAILURE REASON")


def summaries_table(jobs: Sequence[BatchInferenceJobSummary]) -> str:
    """A header and one aligned line a job (the failure reason last, unpadded)."""
    rows = [list(_SUMMARY_COLUMNS)]
    for job in jobs:
        cells = [
            job.job_name,
            job.status,
            job.batch_inference_job_mode,
            _when(job.creation_date_time),
            _when(job.last_updated_date_time),
            job.failure_reason,
        ]
        rows.append([_printable(cell) if cell is not None else "-" for cell in cells])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]
        ).rstrip()
        for row in rows
    )


def summaries_text(jobs: Iterable[BatchInferenceJobSummary]) -> str:
    """One tab-separated line a job for scripts (``None`` for a missing field)."""
    lines = []
    for job in jobs:
        fields = [
            job.batch_inference_job_arn,
            job.job_name,
            job.status,
            job.batch_inference_job_mode,
            job.solution_version_arn,
            job.creation_date_time.isoformat() if job.creation_date_time else None,
            job.last_updated_date_time.isoformat() if job.last_updated_date_time else None,
            job.failure_reason,
        ]
        lines.append("\t".join("None" if f is None else _printable(f) for f in fields))
    return "\n".join(lines)


def _safe_json(render: Callable[[bool], str], encoding: str) -> str:
    """JSON text that any terminal and ``encoding`` can take.

    Characters stdout cannot take (a lone surrogate, or anything beyond a legacy code
    page) are written as JSON's own \\u escapes, so the output stays valid JSON; so are
    DEL and the C1 controls, which json.dumps leaves raw (U+009B starts an escape
    sequence on some terminals). Outside strings JSON text is ASCII: this is safe.
    """
    text = render(False)
    if text.encode(encoding, "replace").decode(encoding) != text:
        text = render(True)
    return _C1.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _render(job: BatchInferenceJob, output: str, encoding: str) -> str:
    if output == "table":
        return job_table(job, datetime.now(timezone.utc))
    if output == "text":
        return job_text(job)
    return _safe_json(lambda ascii_only: job_json(job, ascii_only=ascii_only), encoding)


def _render_list(jobs: Sequence[BatchInferenceJobSummary], output: str, encoding: str) -> str:
    if output == "table":
        return summaries_table(jobs)
    if output == "text":
        return summaries_text(jobs)
    return _safe_json(lambda ascii_only: summaries_json(jobs, ascii_only=ascii_only), encoding)


class _Progress:
    """``wait``'s progress on stderr: a live line on a terminal, else a line per change."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.started = time.monotonic()
        self.status: str | None = None

    def update(self, job: BatchInferenceJob) -> None:
        self.status = job.status
        if self.live:
            self.redraw()
        else:
            stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
            _write(f"{stamp} {_printable(job.status or '')}", self.stream)

    def redraw(self) -> None:
        elapsed = _duration(time.monotonic() - self.started)
        status = _printable(self.status or "waiting")
        self.stream.write(f"\r\x1b[K{status}  (elapsed {elapsed})")
        self.stream.flush()

    def sleep(self, seconds: float) -> None:
        """Sleep, refreshing the live line's elapsed time every second."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            if self.live:
                self.redraw()

    def end(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


def _tags(parser: argparse.ArgumentParser, given: Sequence[str]) -> dict[str, str] | None:
    """``--tag KEY=VALUE`` options as a mapping (None when there are none)."""
    tags: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error("--tag takes KEY=VALUE")
        if key in tags:
            parser.error("--tag: each key once")
        tags[key] = value
    return tags or None


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.serve_parser, args)
    tags = _tags(parser, args.tag) if args.command == "create" else None
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        # Only our own lines: third-party DEBUG output is not ours to vouch for.
        for name in ("httpx", "httpcore", "botocore", "hpack"):
            logging.getLogger(name).setLevel(logging.WARNING)
    waits = args.command == "wait" or (args.command == "create" and args.wait)
    progress = _Progress(sys.stderr) if waits else None
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        with PersonalizeClient(
            region=args.region,
            profile=args.profile,
            endpoint_url=args.endpoint_url,
            sleep=progress.sleep if progress is not None else None,
        ) as client:
            text = _call(client, args, tags, progress, encoding)
    except (ParamValidationError, ConfigurationError, NoCredentialsError) as exc:
        return _fail(exc, EXIT_USAGE, debug=args.debug)
    except BatchInferenceJobFailed as exc:
        return _fail(exc, EXIT_JOB_FAILED, debug=args.debug)
    except WaiterTimeoutError as exc:
        return _fail(exc, EXIT_TIMEOUT, debug=args.debug)
    except PersonalizeError as exc:
        return _fail(exc, EXIT_ERROR, debug=args.debug)
    except KeyboardInterrupt:
        print("personalize-lite: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if text:
        _write(text, sys.stdout)
    return EXIT_OK


def _call(
    client: PersonalizeClient,
    args: argparse.Namespace,
    tags: dict[str, str] | None,
    progress: _Progress | None,
    encoding: str,
) -> str:
    """Run the command; what it prints."""
    if args.command == "list":
        jobs = list(
            client.list_batch_inference_jobs(
                solution_version_arn=args.solution_version_arn, page_size=args.page_size
            )
        )
        return _render_list(jobs, args.output, encoding)
    if args.command == "create":
        arn = client.create_batch_inference_job(
            job_name=args.job_name,
            solution_version_arn=args.solution_version_arn,
            role_arn=args.role_arn,
            job_input=args.job_input,
            job_output=args.job_output,
            num_results=args.num_results,
            filter_arn=args.filter_arn,
            tags=tags,
        )
        if progress is None:
            if args.output == "text":
                return _printable(arn)
            return _safe_json(
                lambda ascii_only: json.dumps(
                    {"batchInferenceJobArn": arn}, indent=4, ensure_ascii=ascii_only
                ),
                encoding,
            )
    else:
        arn = args.arn
    if progress is None:
        return _render(client.describe_batch_inference_job(arn), args.output, encoding)
    try:
        job = client.wait_for_batch_inference_job(
            arn, poll_interval=args.interval, timeout=args.timeout, on_update=progress.update
        )
    finally:
        progress.end()
    return _render(job, args.output, encoding)


def _fail(exc: PersonalizeError, code: int, *, debug: bool) -> int:
    if debug:
        logging.getLogger("personalize_lite").exception("command failed")
    text = str(exc) if isinstance(exc, PersonalizeServiceError) else f"{type(exc).__name__}: {exc}"
    # One line, without a reply's escape sequences, in any encoding.
    _write(f"personalize-lite: error: {_printable(text).strip()}", sys.stderr)
    return code


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the emulator in the foreground until SIGINT or SIGTERM (exit 0)."""
    # Handlers first, so a signal sent while the emulator starts stops it too. They only
    # record the signal (no locks: a handler runs between two bytecodes of the main
    # thread, wherever that is); the main thread notices within 0.1 s.
    stopped_by: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopped_by.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run_emulator(parser, args, stopped_by)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_emulator(
    parser: argparse.ArgumentParser, args: argparse.Namespace, stopped_by: list[str]
) -> int:
    from .testing import FixtureServer, default_fixtures, example_credentials, load_cassettes
    from .testing._server import loopback_host

    given_secret = args.secret_key is not None or args.secret_key_file is not None
    if args.access_key is None and given_secret:
        parser.error("--secret-key and --secret-key-file need --access-key")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, not {args.port}")
    try:
        host = loopback_host(args.host)
    except ValueError as exc:
        parser.error(f"--host: {exc}")
    if args.region is not None and not _REGION.fullmatch(args.region):
        parser.error(f"--region: {args.region!r} is not a region name")
    if not 0 <= args.job_duration <= 86_400:  # NaN fails too
        parser.error(f"--job-duration must be from 0 to 86400 seconds, not {args.job_duration}")
    if not args.fail_jobs:
        parser.error("--fail-jobs must not be empty")
    if args.access_key is not None:
        if not args.access_key or args.secret_key == "":
            parser.error("--access-key and --secret-key must not be empty")
        if args.secret_key is not None:
            print(
                "personalize-lite: notice: --secret-key is visible to other users in the "
                f"process list; prefer --secret-key-file PATH or ${SECRET_KEY_ENV}",
                file=sys.stderr,
                flush=True,
            )
        secret = _emulator_secret(args)
        if secret is None:
            parser.error(
                f"--access-key needs its secret: --secret-key-file PATH, ${SECRET_KEY_ENV} "
                "or --secret-key"
            )
        if isinstance(secret, _Refused):
            return _serve_fail(secret.message, EXIT_USAGE)
        secrets = {args.access_key: secret}
    else:
        example = example_credentials()
        secrets = {example.access_key_id: example.secret_access_key}
    fixtures: Path = args.fixtures if args.fixtures is not None else default_fixtures()
    if not fixtures.exists():
        return _serve_fail(f"--fixtures: {fixtures} does not exist", EXIT_USAGE)
    try:
        cassettes = load_cassettes([fixtures])
    except (ValueError, OSError) as exc:  # unreadable or malformed
        return _serve_fail(f"--fixtures: {exc}", EXIT_USAGE)
    if not cassettes:
        return _serve_fail(f"--fixtures: no cassettes (*.json) in {fixtures}", EXIT_USAGE)
    try:
        server = FixtureServer(
            cassettes,
            host=host,
            port=args.port,
            credentials=secrets,
            region=args.region,
            job_duration=args.job_duration,
            fail_jobs=args.fail_jobs,
        )
    except OSError as exc:  # the port is taken, the address is not configured here
        return _serve_fail(f"cannot listen on {host} port {args.port}: {exc}", EXIT_ERROR)
    with server:
        arns = {arn for cassette in cassettes for arn in cassette.arns()}
        print(
            f"personalize-lite emulator listening on {server.url} "
            f"({len(cassettes)} cassettes, {len(arns)} job ARNs)",
            flush=True,
        )
        while not stopped_by:
            time.sleep(0.1)
    print(f"personalize-lite emulator stopped ({stopped_by[0]})", flush=True)
    return EXIT_OK


@attrs.frozen(kw_only=True)
class _Refused:
    """Why a secret could not be read (the message never quotes the file's content)."""

    message: str


def _emulator_secret(args: argparse.Namespace) -> str | _Refused | None:
    """The secret for --access-key: --secret-key, else --secret-key-file (bounded read),
    else the environment variable; None when none gives one."""
    if args.secret_key is not None:
        return str(args.secret_key)
    path: Path | None = args.secret_key_file
    if path is None:
        return os.environ.get(SECRET_KEY_ENV) or None
    try:
        data = read_bounded(str(path), MAX_SECRET_FILE)  # regular files only, never blocks
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            return _Refused(
                message=f"--secret-key-file: {path} is larger than {MAX_SECRET_FILE} bytes"
            )
        return _Refused(message=f"--secret-key-file: cannot read {path}: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return _Refused(message=f"--secret-key-file: {path} is not UTF-8 text")
    if not text:
        return _Refused(message=f"--secret-key-file: {path} is empty")
    if any(char.isspace() or not char.isprintable() for char in text):
        return _Refused(message=f"--secret-key-file: {path} holds more than one word")
    return text


def _serve_fail(message: str, code: int) -> int:
    print(f"personalize-lite: error: {message}", file=sys.stderr)
    return code
