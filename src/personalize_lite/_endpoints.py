"""Region validation and endpoint resolution for Amazon Personalize.

:func:`resolve_endpoint` is a hand-written equivalent of the Smithy endpoint rule set
that botocore ships for Personalize (``personalize/*/endpoint-rule-set-1.json``) with
the ``aws.partition`` function backed by a compact copy of botocore's
``data/partitions.json``. Nothing is loaded from disk: resolution runs at client
construction and costs a few regular-expression matches.

Behaviour, in order:

1. A region, when given, is validated with :func:`validate_region` (botocore's
   host-label rule, except that the empty string is rejected) whether or not an
   ``endpoint_url`` is given, since it always ends up in the SigV4 scope.
2. FIPS pseudo regions are normalised as botocore's client does: every ``"fips-"``
   and then every ``"-fips"`` is removed (``"fips-us-gov-west-1"`` and
   ``"us-east-1-fips"`` become ``"us-gov-west-1"`` and ``"us-east-1"``) and FIPS is
   switched on. The normalised region must itself be valid; it is the signing region.
3. With an explicit ``endpoint_url``: FIPS or dual-stack is an error (the rule set's
   errors; botocore's client instead silently ignores both). The URL is validated
   (see :func:`resolve_endpoint`) and used as is, minus trailing slashes. Without a
   region the signing region is ``"us-east-1"`` (the rule set resolves a custom
   endpoint without a region; botocore's client would raise ``NoRegionError``).
4. Otherwise the region picks a partition (an exact region id of the partition, then
   its ``regionRegex``; no match means the ``aws`` partition, as in botocore) and the
   host is ``personalize[-fips].<region>.<dnsSuffix | dualStackDnsSuffix>``.

Every error is a :class:`~personalize_lite._errors.ConfigurationError`; the rule
set's own error texts (``"Invalid Configuration: Missing Region"`` ...) appear
verbatim in the messages. This module does no I/O and imports stdlib and attrs only.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

import attrs

from ._errors import ConfigurationError

__all__ = [
    "Endpoint",
    "Partition",
    "is_loopback_host",
    "partition_for",
    "resolve_endpoint",
    "validate_endpoint_url",
    "validate_region",
]


@attrs.frozen(kw_only=True, slots=True)
class Endpoint:
    """Where to send requests and which region to sign them for.

    ``url`` has a scheme and a host, an optional port and path, never a trailing
    slash, a query or a fragment (``"https://personalize.us-east-1.amazonaws.com"``).
    ``signing_region`` is the region of the SigV4 credential scope.
    """

    url: str
    signing_region: str


# --- partitions -----------------------------------------------------------------------


@attrs.frozen(slots=True)
class Partition:
    name: str
    region_regex: re.Pattern[str]
    regions: frozenset[str]  # ids listed in partitions.json that the regex misses
    dns_suffix: str
    dual_stack_dns_suffix: str
    supports_fips: bool
    supports_dual_stack: bool


def _partition(
    name: str, regex: str, regions: tuple[str, ...], dns: str, dual_stack_dns: str
) -> Partition:
    # Every partition in botocore's partitions.json supports both FIPS and dual-stack
    # today; the flags are kept so that the rule set's error branches stay expressible.
    return Partition(
        name=name,
        region_regex=re.compile(regex, re.ASCII),
        regions=frozenset(regions),
        dns_suffix=dns,
        dual_stack_dns_suffix=dual_stack_dns,
        supports_fips=True,
        supports_dual_stack=True,
    )


# From botocore/data/partitions.json (botocore 1.44), in the file's order, which is the
# order botocore's ``aws_partition`` tries them in. ``regions`` only lists the ids that
# the partition's regex does not match (the ``*-global`` pseudo regions); all the other
# listed regions match their regex.
_PARTITIONS: Final[tuple[Partition, ...]] = (
    _partition(
        "aws",
        r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
        ("aws-global",),
        "amazonaws.com",
        "api.aws",
    ),
    _partition(
        "aws-cn",
        r"^cn\-\w+\-\d+$",
        ("aws-cn-global",),
        "amazonaws.com.cn",
        "api.amazonwebservices.com.cn",
    ),
    _partition(
        "aws-eusc",
        r"^eusc\-(de)\-\w+\-\d+$",
        (),
        "amazonaws.eu",
        "api.amazonwebservices.eu",
    ),
    _partition(
        "aws-iso",
        r"^us\-iso\-\w+\-\d+$",
        ("aws-iso-global",),
        "c2s.ic.gov",
        "api.aws.ic.gov",
    ),
    _partition(
        "aws-iso-b",
        r"^us\-isob\-\w+\-\d+$",
        ("aws-iso-b-global",),
        "sc2s.sgov.gov",
        "api.aws.scloud",
    ),
    _partition(
        "aws-iso-e",
        r"^eu\-isoe\-\w+\-\d+$",
        ("aws-iso-e-global",),
        "cloud.adc-e.uk",
        "api.cloud-aws.adc-e.uk",
    ),
    _partition(
        "aws-iso-f",
        r"^us\-isof\-\w+\-\d+$",
        ("aws-iso-f-global",),
        "csp.hci.ic.gov",
        "api.aws.hci.ic.gov",
    ),
    _partition(
        "aws-us-gov",
        r"^us\-gov\-\w+\-\d+$",
        ("aws-us-gov-global",),
        "amazonaws.com",
        "api.aws",
    ),
)


def partition_for(region: str) -> Partition:
    """Smithy's ``aws.partition``, as botocore implements it."""
    for partition in _PARTITIONS:
        if region in partition.regions or partition.region_regex.match(region):
            return partition
    return _PARTITIONS[0]


# --- regions --------------------------------------------------------------------------

# botocore.utils.validate_region_name, with {1,63} instead of {,63} and \Z instead of $.
_REGION_RE: Final = re.compile(r"\A(?![0-9]+\Z)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)\Z")
_REGION_RULE: Final = (
    "a region is 1 to 63 ASCII letters, digits and hyphens, "
    "not all digits, not starting or ending with a hyphen (e.g. 'us-east-1')"
)
_DEFAULT_SIGNING_REGION: Final = "us-east-1"


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def validate_region(region: object) -> str:
    """Return ``region`` if it is a valid region name, else raise ``ConfigurationError``.

    The rule is botocore's (``validate_region_name``): a DNS host label, so nothing
    that could change the endpoint's host (dots, slashes, ``@``, whitespace, ...)
    gets through. Unlike botocore, the empty string is rejected.
    """
    if not isinstance(region, str):
        raise ConfigurationError(
            f"Invalid region {_short_repr(region)}: expected a str, got {type(region).__name__}"
        )
    if _REGION_RE.match(region) is None:
        raise ConfigurationError(f"Invalid region {_short_repr(region)}: {_REGION_RULE}")
    # An exact str even for subclasses (whose __str__ may be overridden).
    return str.__str__(region)


def _normalize_fips_region(region: str) -> tuple[str, bool]:
    """botocore's ``ClientCreator._normalize_fips_region``; True if it was a pseudo region."""
    normalized = region.replace("fips-", "").replace("-fips", "")
    if normalized == region:
        return region, False
    if _REGION_RE.match(normalized) is None:
        raise ConfigurationError(
            f"Invalid region {_short_repr(region)}: a FIPS pseudo region, but without "
            f"'fips-'/'-fips' it is {normalized!r}, which is not a valid region: {_REGION_RULE}"
        )
    return normalized, True


# --- endpoint URLs --------------------------------------------------------------------

_HOST_LABEL_RE: Final = re.compile(r"\A[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")
#: What httpx takes for an IPv4 address (and then refuses unless it is a valid one).
_IPV4_STYLE_RE: Final = re.compile(r"\A[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\Z")
_PORT_RE: Final = re.compile(r"\A[0-9]{1,5}\Z")


def _redacted(url: str) -> str:
    """``url`` for an error message: user information, query and fragment masked."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    for mark in "?#":
        head, found, _ = rest.partition(mark)
        if found:
            rest = f"{head}{mark}***"
    return _short_repr(f"{scheme}{sep}{rest}", limit=200)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a URL's host, IPv6 with or without its brackets) is loopback for
    us: the exact name ``localhost`` (any case) and loopback IP literals (127.0.0.0/8,
    ``::1``). No name is resolved.

    Not ``localhost.`` nor ``x.localhost``: a fully qualified name skips /etc/hosts and
    goes to DNS, whose answer would receive the plaintext signed request. The one rule
    for plain-http endpoints (here) and for bypassing proxies (``_proxies.py``); the
    container endpoint keeps botocore's own rule (``_container.py``)."""
    if len(host) > 1 and host[0] == "[" and host[-1] == "]":
        host = host[1:-1]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _check_host(host: str, *, bracketed: bool, shown: str) -> None:
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ConfigurationError(
                f"Invalid endpoint_url {shown}: {host!r} in brackets is not an IPv6 address"
            ) from None
        return
    if not host:
        raise ConfigurationError(f"Invalid endpoint_url {shown}: it has no host")
    name = host[:-1] if host.endswith(".") else host
    if (
        len(name) > 253
        or not all(_HOST_LABEL_RE.match(label) for label in name.split("."))
        or (_IPV4_STYLE_RE.match(host) and not _is_ipv4(host))  # 0000.0.0.0, 1.2.3.256
    ):
        raise ConfigurationError(
            f"Invalid endpoint_url {shown}: {host!r} is not a valid host name or IPv4 address "
            "(IPv6 addresses go in brackets: https://[::1]:8443)"
        )


def validate_endpoint_url(endpoint_url: object, *, allow_http: bool) -> str:
    """Check an explicit endpoint URL and return it without trailing slashes."""
    if not isinstance(endpoint_url, str):
        raise ConfigurationError(
            f"Invalid endpoint_url {_short_repr(endpoint_url)}: "
            f"expected a str, got {type(endpoint_url).__name__}"
        )
    shown = _redacted(endpoint_url)
    if any(not ("\x21" <= ch <= "\x7e") for ch in endpoint_url):
        raise ConfigurationError(
            f"Invalid endpoint_url {shown}: it contains whitespace, control or non-ASCII "
            "characters (write international host names in their xn-- form)"
        )
    scheme, sep, rest = endpoint_url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("https", "http"):
        raise ConfigurationError(
            f"Invalid endpoint_url {shown}: it must start with https:// "
            "(or http:// for a loopback host)"
        )
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        raise ConfigurationError(
            f"Invalid endpoint_url {shown}: user information (user:password@) is not allowed"
        )
    if "?" in endpoint_url:
        raise ConfigurationError(f"Invalid endpoint_url {shown}: a query string is not allowed")
    if "#" in endpoint_url:
        raise ConfigurationError(f"Invalid endpoint_url {shown}: a fragment is not allowed")

    bracketed = authority.startswith("[")
    if bracketed:
        host, bracket, port_part = authority[1:].partition("]")
        if not bracket:
            raise ConfigurationError(f"Invalid endpoint_url {shown}: unclosed '[' in the host")
    elif authority.count(":") > 1:
        raise ConfigurationError(
            f"Invalid endpoint_url {shown}: IPv6 addresses go in brackets (https://[::1]:8443)"
        )
    else:
        host, colon, port = authority.partition(":")
        port_part = colon + port
    _check_host(host, bracketed=bracketed, shown=shown)
    if port_part:
        colon, port = port_part[:1], port_part[1:]
        if colon != ":" or not _PORT_RE.match(port) or not 1 <= int(port) <= 65535:
            raise ConfigurationError(
                f"Invalid endpoint_url {shown}: the port must be a number from 1 to 65535"
            )

    if scheme == "http" and not allow_http and not is_loopback_host(host):
        raise ConfigurationError(
            f"Invalid endpoint_url {shown}: plain http:// is only allowed for loopback hosts "
            "(localhost, 127.0.0.0/8, [::1]); use https:// or pass allow_http=True"
        )
    return f"{scheme}://{authority}{slash}{path}".rstrip("/")


# --- resolution -----------------------------------------------------------------------


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(
            f"Invalid {name} {_short_repr(value)}: expected a bool, got {type(value).__name__}"
        )


def resolve_endpoint(
    region: str | None,
    *,
    use_fips: bool = False,
    use_dualstack: bool = False,
    endpoint_url: str | None = None,
    allow_http: bool = False,
) -> Endpoint:
    """Resolve the Personalize endpoint and signing region, as the rule set does.

    ``endpoint_url``, when given, must be a str with scheme ``https`` (``http`` only for
    a loopback host, unless ``allow_http``), a host, and an optional port (1-65535) and
    path; user information, a query, a fragment, whitespace and control characters are
    rejected. Raises :class:`ConfigurationError` for any invalid input and for the rule
    set's errors (FIPS or dual-stack with a custom endpoint, FIPS and/or dual-stack in a
    partition without them, no region and no endpoint).
    """
    _check_flag("use_fips", use_fips)
    _check_flag("use_dualstack", use_dualstack)
    _check_flag("allow_http", allow_http)

    pseudo_fips = False
    original_region = region
    if region is not None:
        region, pseudo_fips = _normalize_fips_region(validate_region(region))
        use_fips = use_fips or pseudo_fips

    if endpoint_url is not None:
        if use_fips:
            why = (
                f" (region {original_region!r} is a FIPS pseudo region, which turns FIPS on)"
                if pseudo_fips
                else ""
            )
            raise ConfigurationError(
                f"Invalid Configuration: FIPS and custom endpoint are not supported{why}"
            )
        if use_dualstack:
            raise ConfigurationError(
                "Invalid Configuration: Dualstack and custom endpoint are not supported"
            )
        url = validate_endpoint_url(endpoint_url, allow_http=allow_http)
        signing_region = _DEFAULT_SIGNING_REGION if region is None else region
        return Endpoint(url=url, signing_region=signing_region)

    if region is None:
        raise ConfigurationError(
            "Invalid Configuration: Missing Region (no region is configured: pass one, "
            "or set AWS_REGION or the profile's region)"
        )

    partition = partition_for(region)
    if use_fips and use_dualstack:
        if not (partition.supports_fips and partition.supports_dual_stack):
            raise ConfigurationError(
                "FIPS and DualStack are enabled, but this partition does not support one "
                f"or both (region {region!r}, partition {partition.name})"
            )
        url = f"https://personalize-fips.{region}.{partition.dual_stack_dns_suffix}"
    elif use_fips:
        if not partition.supports_fips:
            raise ConfigurationError(
                "FIPS is enabled but this partition does not support FIPS "
                f"(region {region!r}, partition {partition.name})"
            )
        url = f"https://personalize-fips.{region}.{partition.dns_suffix}"
    elif use_dualstack:
        if not partition.supports_dual_stack:
            raise ConfigurationError(
                "DualStack is enabled but this partition does not support DualStack "
                f"(region {region!r}, partition {partition.name})"
            )
        url = f"https://personalize.{region}.{partition.dual_stack_dns_suffix}"
    else:
        url = f"https://personalize.{region}.{partition.dns_suffix}"
    return Endpoint(url=url, signing_region=region)
