"""Tests for personalize_lite._endpoints: regions, partitions, FIPS, dual-stack, endpoint URLs.

Reference data comes from tests/vectors (the Personalize endpoint rule set and its
31 tests, and what botocore was observed to do), from botocore's own partitions.json and
EndpointProvider, and from a live botocore client (nothing is sent: a ``before-send``
hook captures the signed request).
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import botocore.loaders
import botocore.session
import pytest
from botocore.config import Config
from botocore.endpoint_provider import EndpointProvider
from botocore.exceptions import EndpointResolutionError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from personalize_lite._endpoints import (
    _PARTITIONS,
    Endpoint,
    partition_for,
    resolve_endpoint,
    validate_region,
)
from personalize_lite._errors import ConfigurationError
from tests.support.paths import VECTORS

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = REPO_ROOT / "src" / "personalize_lite" / "_endpoints.py"


def vectors_dir() -> Path:
    """The reference vectors kept in the repository (tests/vectors)."""
    return VECTORS


def _load(relative: str) -> Any:
    return json.loads((vectors_dir() / relative).read_text(encoding="utf-8"))


RULE_SET: dict[str, Any] = _load("endpoint-rules/personalize-endpoint-rule-set-1.json")
RULE_TESTS: list[dict[str, Any]] = _load("endpoint-rules/personalize-endpoint-tests-1.json")[
    "testCases"
]
OBSERVED: dict[str, Any] = _load("botocore-observed/endpoints.out.json")

ALL_SUFFIXES = frozenset(
    suffix for p in _PARTITIONS for suffix in (p.dns_suffix, p.dual_stack_dns_suffix)
)
FLAG_COMBOS = [(False, False), (False, True), (True, False), (True, True)]


def _scope_region(scope: str) -> str:
    """The region of a SigV4 scope: AKID/20261128/us-east-1/personalize/aws4_request."""
    return scope.split("/")[2]


def _normalized(region: str) -> str:
    """botocore's FIPS pseudo-region normalisation (ClientCreator._normalize_fips_region)."""
    return region.replace("fips-", "").replace("-fips", "")


# --- the module's shape ---------------------------------------------------------------


def test_module_imports_only_stdlib_attrs_and_errors() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported == {"__future__", "ipaddress", "re", "typing", "attrs", "._errors"}


def test_public_names() -> None:
    import personalize_lite._endpoints as mod

    assert sorted(mod.__all__) == [
        "Endpoint",
        "Partition",
        "is_loopback_host",
        "partition_for",
        "resolve_endpoint",
        "validate_endpoint_url",
        "validate_region",
    ]
    assert mod.__doc__


def test_endpoint_is_frozen_keyword_only_and_slotted() -> None:
    ep = Endpoint(url="https://personalize.us-east-1.amazonaws.com", signing_region="us-east-1")
    assert ep == resolve_endpoint("us-east-1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ep.url = "https://evil.example"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Endpoint("https://example.com", "us-east-1")  # type: ignore[call-arg]
    assert not hasattr(ep, "__dict__")


# --- the rule set's 31 tests ----------------------------------------------------------


def test_rule_set_has_the_expected_parameters_and_31_tests() -> None:
    assert set(RULE_SET["parameters"]) == {"Region", "UseFIPS", "UseDualStack", "Endpoint"}
    assert len(RULE_TESTS) == 31


@pytest.mark.parametrize("case", RULE_TESTS, ids=[c["documentation"] for c in RULE_TESTS])
def test_rule_set_case(case: dict[str, Any]) -> None:
    params = case.get("params", {})
    call = functools.partial(
        resolve_endpoint,
        params.get("Region"),
        use_fips=params.get("UseFIPS", False),
        use_dualstack=params.get("UseDualStack", False),
        endpoint_url=params.get("Endpoint"),
    )
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(ConfigurationError, match=re.escape(expect["error"])):
            call()
        return
    ep = call()
    assert ep.url == expect["endpoint"]["url"]
    # The rule set sets no signing properties for Personalize: we sign for the region.
    assert not expect["endpoint"].get("properties")
    assert not expect["endpoint"].get("headers")
    assert ep.signing_region == params.get("Region", "us-east-1")


# --- the embedded partitions table vs botocore's partitions.json ----------------------


@functools.cache
def _botocore_partitions() -> dict[str, Any]:
    data: dict[str, Any] = botocore.loaders.create_loader().load_data("partitions")
    return data


def test_partitions_table_matches_botocore() -> None:
    theirs = _botocore_partitions()["partitions"]
    assert [p["id"] for p in theirs] == [p.name for p in _PARTITIONS]
    for their, ours in zip(theirs, _PARTITIONS, strict=True):
        out = their["outputs"]
        assert ours.region_regex.pattern == their["regionRegex"]
        assert ours.dns_suffix == out["dnsSuffix"]
        assert ours.dual_stack_dns_suffix == out["dualStackDnsSuffix"]
        assert ours.supports_fips is out["supportsFIPS"]
        assert ours.supports_dual_stack is out["supportsDualStack"]
        for region in their["regions"]:
            assert partition_for(region) is ours, region


@pytest.mark.parametrize("region", ["xx-unknown-1", "US-EAST-1", "local", "cn", "us-gov"])
def test_unknown_region_falls_back_to_aws_partition(region: str) -> None:
    assert partition_for(region).name == "aws"
    assert resolve_endpoint(region).url == f"https://personalize.{region}.amazonaws.com"


@functools.cache
def _rule_set_provider() -> EndpointProvider:
    return EndpointProvider(RULE_SET, _botocore_partitions())


def validate_region_or_none(region: str) -> str | None:
    try:
        normalized = _normalized(validate_region(region))
        return validate_region(normalized)
    except ConfigurationError:
        return None


_VALID_REGIONS = st.one_of(
    st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}[a-z0-9]\Z"),
    st.sampled_from(
        [p["id"] for p in _botocore_partitions()["partitions"]]
        + [r for p in _botocore_partitions()["partitions"] for r in p["regions"]]
    ),
    st.builds(
        "{}-{}-{}".format,
        st.sampled_from(["us", "eu", "ap", "cn", "us-gov", "us-iso", "us-isob", "eu-isoe"]),
        st.sampled_from(["east", "west", "north", "central", "fips-east", "x"]),
        st.integers(0, 12),
    ),
).filter(lambda r: validate_region_or_none(r) is not None)


@settings(deadline=None, database=None)
@given(region=_VALID_REGIONS, use_fips=st.booleans(), use_dualstack=st.booleans())
@example(region="eu-isoe-west-1", use_fips=True, use_dualstack=True)
@example(region="eusc-de-east-1", use_fips=False, use_dualstack=True)
@example(region="aws-iso-global", use_fips=False, use_dualstack=False)
def test_same_url_as_botocore_rule_set_evaluator(
    region: str, use_fips: bool, use_dualstack: bool
) -> None:
    """Differential test against botocore's generic EndpointProvider on the same rule set."""
    normalized = _normalized(region)
    fips = use_fips or normalized != region
    theirs = _rule_set_provider().resolve_endpoint(
        Region=normalized, UseFIPS=fips, UseDualStack=use_dualstack
    )
    ours = resolve_endpoint(region, use_fips=use_fips, use_dualstack=use_dualstack)
    assert ours.url == theirs.url
    assert ours.signing_region == normalized


def test_botocore_rule_set_evaluator_agrees_on_custom_endpoint_errors() -> None:
    provider = _rule_set_provider()
    for flags, text in [
        ({"UseFIPS": True}, "FIPS and custom endpoint are not supported"),
        ({"UseDualStack": True}, "Dualstack and custom endpoint are not supported"),
    ]:
        with pytest.raises(EndpointResolutionError, match=text):
            provider.resolve_endpoint(Region="us-east-1", Endpoint="https://example.com", **flags)
        with pytest.raises(ConfigurationError, match=text):
            resolve_endpoint(
                "us-east-1",
                endpoint_url="https://example.com",
                use_fips=flags.get("UseFIPS", False),
                use_dualstack=flags.get("UseDualStack", False),
            )


# --- botocore-observed/endpoints.out.json ---------------------------------------------

PARTITION_TABLE: list[dict[str, Any]] = OBSERVED["partition_table"]


@pytest.mark.parametrize(
    "row",
    PARTITION_TABLE,
    ids=[f"{r['region']}-fips={r['UseFIPS']}-ds={r['UseDualStack']}" for r in PARTITION_TABLE],
)
def test_observed_partition_table(row: dict[str, Any]) -> None:
    ep = resolve_endpoint(row["region"], use_fips=row["UseFIPS"], use_dualstack=row["UseDualStack"])
    assert ep.url == row["ruleset_result"]
    assert ep.signing_region == row["region"]
    if row["client_matches_ruleset"]:
        # botocore's client agrees with the rule set (it adds a trailing slash).
        assert ep.url == row["client_url"].rstrip("/")
        assert ep.signing_region == _scope_region(row["client_sigv4_scope"])
    else:
        # botocore 1.43's client raised EndpointVariantError here (eu-isoe dual-stack):
        # its legacy variant check disagrees with its own rule set. We follow the rule set.
        assert row["client_url"].startswith("EndpointVariantError")
        assert row["UseDualStack"]


def test_observed_partition_table_is_complete() -> None:
    assert len(PARTITION_TABLE) == 28
    regions = {row["region"] for row in PARTITION_TABLE}
    for region in regions:
        combos = {
            (r["UseFIPS"], r["UseDualStack"]) for r in PARTITION_TABLE if r["region"] == region
        }
        assert combos == set(FLAG_COMBOS)


US_EAST_1 = "https://personalize.us-east-1.amazonaws.com"

#: How each observed case maps onto resolve_endpoint. For the ``client: env ...`` cases,
#: env/config precedence belongs to another module: here we check that the URL which
#: wins is accepted and comes out as botocore uses it (the region of those captures
#: was us-east-1, as their scopes show).
CUSTOM_CASES: dict[str, dict[str, Any]] = {
    "provider: Endpoint=https://example.com, Region=us-east-1": {
        "region": "us-east-1",
        "endpoint_url": "https://example.com",
    },
    "provider: Endpoint + UseFIPS=True": {
        "region": "us-east-1",
        "endpoint_url": "https://example.com",
        "use_fips": True,
    },
    "provider: Endpoint + UseDualStack=True": {
        "region": "us-east-1",
        "endpoint_url": "https://example.com",
        "use_dualstack": True,
    },
    "provider: no Region, no Endpoint": {"region": None},
    "client: endpoint_url=http://localhost:4566 + use_fips_endpoint=True (builtins forced False)": {
        "region": "us-east-1",
        "endpoint_url": "http://localhost:4566",
        "use_fips": True,
    },
    "client: endpoint_url=https://example.com/some/path": {
        "region": "us-east-1",
        "endpoint_url": "https://example.com/some/path",
    },
    "client: env AWS_ENDPOINT_URL=http://global:1": {
        "region": "us-east-1",
        "endpoint_url": "http://global:1",
        "allow_http": True,
    },
    "client: env AWS_ENDPOINT_URL_PERSONALIZE=http://svc:2": {
        "region": "us-east-1",
        "endpoint_url": "http://svc:2",
        "allow_http": True,
    },
    "client: both env vars -> service-specific wins": {
        "region": "us-east-1",
        "endpoint_url": "http://svc:2",
        "allow_http": True,
    },
    "client: env var + explicit endpoint_url -> explicit wins": {
        "region": "us-east-1",
        "endpoint_url": "http://explicit:3",
        "allow_http": True,
    },
    "client: env var + AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true": {"region": "us-east-1"},
    "client: env AWS_USE_FIPS_ENDPOINT=true": {"region": "us-east-1", "use_fips": True},
    "client: env AWS_USE_DUALSTACK_ENDPOINT=true": {"region": "us-east-1", "use_dualstack": True},
    "client: region 'fips-us-east-1' (legacy pseudo-region)": {"region": "fips-us-east-1"},
    "client: region 'us-east-1-fips' (legacy pseudo-region)": {"region": "us-east-1-fips"},
    "client: region '' (empty string passes the regex)": {"region": ""},
    "client: region 'US-EAST-1' (upper case passes the regex)": {"region": "US-EAST-1"},
    "client: region None": {"region": None},
}

#: Cases where we differ from botocore's client on purpose: case -> (our error text, why).
DEVIATIONS: dict[str, tuple[str, str]] = {
    "client: endpoint_url=http://localhost:4566 + use_fips_endpoint=True (builtins forced False)": (
        "FIPS and custom endpoint are not supported",
        "botocore's client silently drops FIPS with a custom endpoint; the rule set (which we"
        " implement) makes it an error, so a FIPS requirement is never lost without notice",
    ),
}

CUSTOM_ROWS: list[dict[str, Any]] = OBSERVED["custom_endpoint_and_env"]


def test_every_observed_custom_case_is_mapped() -> None:
    assert {row["case"] for row in CUSTOM_ROWS} == set(CUSTOM_CASES)
    assert set(DEVIATIONS) <= set(CUSTOM_CASES)


@pytest.mark.parametrize("row", CUSTOM_ROWS, ids=[row["case"] for row in CUSTOM_ROWS])
def test_observed_custom_endpoint_and_env(row: dict[str, Any]) -> None:
    kwargs = dict(CUSTOM_CASES[row["case"]])
    region = kwargs.pop("region")
    result = row["result"]
    if row["case"] in DEVIATIONS:
        text, _why = DEVIATIONS[row["case"]]
        assert "error" not in result  # botocore accepted it
        with pytest.raises(ConfigurationError, match=re.escape(text)):
            resolve_endpoint(region, **kwargs)
    elif "error" in result:
        kind, _, text = result["error"].partition(": ")
        with pytest.raises(ConfigurationError) as info:
            resolve_endpoint(region, **kwargs)
        if kind == "EndpointResolutionError":  # the rule set's own error text
            assert text in str(info.value)
        elif region is not None:
            assert repr(region) in str(info.value)
        else:
            assert "Missing Region" in str(info.value)
    else:
        ep = resolve_endpoint(region, **kwargs)
        assert ep.url == result["url"].rstrip("/")
        scope = result.get("authorization_scope")
        assert ep.signing_region == (_scope_region(scope) if scope else region)
        if "host" in result:
            assert urlsplit(ep.url).netloc == result["host"]


REGION_ROWS: list[dict[str, Any]] = OBSERVED["region_validation"]


@pytest.mark.parametrize("row", REGION_ROWS, ids=[repr(row["region"]) for row in REGION_ROWS])
def test_observed_region_validation(row: dict[str, Any]) -> None:
    region: str = row["region"]
    if region == "":
        # botocore's regex ({,63}) lets "" through and then fails building
        # "https://personalize..amazonaws.com"; we reject it up front.
        assert row["valid"]
        with pytest.raises(ConfigurationError, match=re.escape("Invalid region ''")):
            validate_region(region)
    elif row["valid"]:
        assert validate_region(region) == region
        assert resolve_endpoint(region).signing_region == region
    else:
        with pytest.raises(ConfigurationError) as info:
            validate_region(region)
        assert repr(region) in str(info.value)
        assert f"region_name {region!r}" in row["error"]


# --- region validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1",
        "eu-west-1",
        "cn-north-1",
        "us-gov-west-1",
        "us-iso-east-1",
        "aws-global",
        "US-EAST-1",
        "a",
        "a1",
        "1a",
        "local",
        "x" * 63,
    ],
)
def test_valid_regions_validate_to_themselves(region: str) -> None:
    assert validate_region(region) == region


class _Region(str):
    def __str__(self) -> str:
        return "evil.example"


def test_str_subclass_is_returned_as_plain_str() -> None:
    validated = validate_region(_Region("us-east-1"))
    assert type(validated) is str
    assert validated == "us-east-1"
    assert resolve_endpoint(_Region("us-east-1")).url == US_EAST_1


HOSTILE_REGIONS = [
    "",
    "us-east-1.evil.example",
    "evil.example#",
    "a/b",
    "us-east-1/",
    "us-east-1\n",
    "us-east-1\r\nHost: evil",
    "\nus-east-1",
    " us-east-1",
    "us-east-1 ",
    "us-east-1\t",
    "us-east-1\x00",
    "x@y",
    "us-east-1:443",
    "us-east-1?x=1",
    "us-east-1#",
    "us_east_1",
    "-us-east-1",
    "us-east-1-",
    "-",
    "123",
    "0",
    "x" * 64,
    "ü-east-1",
    "us-east-\u0661",  # ARABIC-INDIC DIGIT ONE
    "\u212a",  # KELVIN SIGN, matches "k" case-insensitively
    "us-\uff45ast-1",  # FULLWIDTH LATIN SMALL LETTER E
    "..",
    "%2e",
]


@pytest.mark.parametrize("region", HOSTILE_REGIONS)
def test_hostile_regions_are_rejected_naming_the_value(region: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        validate_region(region)
    assert str(info.value).startswith(f"Invalid region {region!r}")
    # A region always ends up in the SigV4 scope: validated with a custom endpoint too.
    for endpoint_url in (None, "https://example.com"):
        with pytest.raises(ConfigurationError, match=re.escape(repr(region))):
            resolve_endpoint(region, endpoint_url=endpoint_url)


@pytest.mark.parametrize("value", [None, 1, 1.5, b"us-east-1", ["us-east-1"], object()])
def test_non_str_regions_are_rejected(value: object) -> None:
    with pytest.raises(ConfigurationError, match="expected a str") as info:
        validate_region(value)
    assert type(value).__name__ in str(info.value)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ConfigurationError) as info:
        validate_region("x." * 5000)
    assert len(str(info.value)) < 300


_REGIONISH = st.lists(
    st.sampled_from(
        [
            *("us", "eu", "gov", "iso", "east", "1", "42", "-", "fips", "fips-", "-fips"),
            *(".", "/", "@", ":", "\n", " ", "_", "A", "é", "\x00", "#", "?"),
        ]
    ),
    max_size=10,
).map("".join)


@settings(database=None)
@given(
    text=st.one_of(st.text(), st.from_regex(r"[a-zA-Z0-9-]{0,70}", fullmatch=True), _REGIONISH),
    use_fips=st.booleans(),
    use_dualstack=st.booleans(),
)
@example(text="us-east-1.evil.example", use_fips=False, use_dualstack=False)
@example(text="us-east-1\n", use_fips=True, use_dualstack=False)
@example(text="fips--fips", use_fips=False, use_dualstack=False)
@example(text="fips-1", use_fips=False, use_dualstack=True)
@example(text="us-gov-west-1-fips", use_fips=False, use_dualstack=True)
def test_any_text_gives_a_well_formed_host_or_configuration_error(
    text: str, use_fips: bool, use_dualstack: bool
) -> None:
    validated: str | None = None
    try:
        validated = validate_region(text)
    except ConfigurationError as exc:
        message = str(exc)
    if validated is None:
        assert message.startswith("Invalid region ")
        with pytest.raises(ConfigurationError):
            resolve_endpoint(text, use_fips=use_fips, use_dualstack=use_dualstack)
        return
    assert validated == text
    assert type(validated) is str
    region = _normalized(text)
    ep: Endpoint | None = None
    try:
        ep = resolve_endpoint(text, use_fips=use_fips, use_dualstack=use_dualstack)
    except ConfigurationError as exc:
        message = str(exc)
    if ep is None:
        # Only a FIPS pseudo region whose remainder is not a valid region can fail here.
        assert region != text
        assert "FIPS pseudo region" in message
        return
    fips = use_fips or region != text
    parts = urlsplit(ep.url)
    assert parts.scheme == "https"
    assert (parts.path, parts.query, parts.fragment) == ("", "", "")
    prefix = f"personalize-fips.{region}." if fips else f"personalize.{region}."
    assert parts.netloc.startswith(prefix)
    assert parts.netloc[len(prefix) :] in ALL_SUFFIXES
    assert ep.signing_region == region
    assert validate_region(region) == region


# --- FIPS pseudo regions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "use_dualstack", "url", "signing_region"),
    [
        ("fips-us-east-1", False, "https://personalize-fips.us-east-1.amazonaws.com", "us-east-1"),
        ("us-east-1-fips", False, "https://personalize-fips.us-east-1.amazonaws.com", "us-east-1"),
        ("fips-us-east-1", True, "https://personalize-fips.us-east-1.api.aws", "us-east-1"),
        (
            "fips-us-gov-west-1",
            False,
            "https://personalize-fips.us-gov-west-1.amazonaws.com",
            "us-gov-west-1",
        ),
        (
            "us-gov-west-1-fips",
            False,
            "https://personalize-fips.us-gov-west-1.amazonaws.com",
            "us-gov-west-1",
        ),
        (
            "us-iso-east-1-fips",
            False,
            "https://personalize-fips.us-iso-east-1.c2s.ic.gov",
            "us-iso-east-1",
        ),
        (
            "cn-north-1-fips",
            True,
            "https://personalize-fips.cn-north-1.api.amazonwebservices.com.cn",
            "cn-north-1",
        ),
        # botocore removes every "fips-" and "-fips", wherever it is.
        ("us-fips-east-1", False, "https://personalize-fips.us-east-1.amazonaws.com", "us-east-1"),
        (
            "fips-fips-us-east-1",
            False,
            "https://personalize-fips.us-east-1.amazonaws.com",
            "us-east-1",
        ),
        ("xfips-1", False, "https://personalize-fips.x1.amazonaws.com", "x1"),
        # ... but is case-sensitive and needs the hyphen.
        (
            "FIPS-us-east-1",
            False,
            "https://personalize.FIPS-us-east-1.amazonaws.com",
            "FIPS-us-east-1",
        ),
        ("fips", False, "https://personalize.fips.amazonaws.com", "fips"),
    ],
)
def test_fips_pseudo_regions(
    region: str, use_dualstack: bool, url: str, signing_region: str
) -> None:
    # An explicit use_fips=False does not turn a pseudo region's FIPS off (as in botocore).
    ep = resolve_endpoint(region, use_fips=False, use_dualstack=use_dualstack)
    assert ep == Endpoint(url=url, signing_region=signing_region)
    if signing_region != region:  # a pseudo region: asking for FIPS changes nothing
        assert resolve_endpoint(region, use_fips=True, use_dualstack=use_dualstack) == ep
    # validate_region itself does not rewrite the region.
    assert validate_region(region) == region


@pytest.mark.parametrize(
    ("region", "remainder"), [("fips--fips", "''"), ("fips-1", "'1'"), ("fips--a", "'-a'")]
)
def test_fips_pseudo_region_whose_remainder_is_not_a_region(region: str, remainder: str) -> None:
    # botocore would go on with "", "1" or "-a" (the first fails later, the others give
    # odd host names); we stop here and say why.
    with pytest.raises(ConfigurationError) as info:
        resolve_endpoint(region)
    assert repr(region) in str(info.value)
    assert f"it is {remainder}" in str(info.value)


def test_fips_pseudo_region_with_custom_endpoint_is_the_rule_set_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_endpoint("fips-us-east-1", endpoint_url="https://example.com")
    message = str(info.value)
    assert "Invalid Configuration: FIPS and custom endpoint are not supported" in message
    assert "'fips-us-east-1' is a FIPS pseudo region" in message


# --- explicit endpoint_url ------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint_url", "url"),
    [
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/some/path", "https://example.com/some/path"),
        ("https://example.com/some/path/", "https://example.com/some/path"),
        ("https://example.com/~user/a@b", "https://example.com/~user/a@b"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("https://example.com.:443/", "https://example.com.:443"),
        ("HTTPS://Example.COM", "https://Example.COM"),
        (
            "https://vpce-0123-abcd.personalize.us-east-1.vpce.amazonaws.com",
            "https://vpce-0123-abcd.personalize.us-east-1.vpce.amazonaws.com",
        ),
        ("https://10.0.0.1:4443", "https://10.0.0.1:4443"),
        ("https://[2001:db8::1]:443/p/", "https://[2001:db8::1]:443/p"),
        ("https://my_service:8443", "https://my_service:8443"),
        ("http://localhost:4566", "http://localhost:4566"),
        ("http://LOCALHOST:4566/", "http://LOCALHOST:4566"),
        ("http://127.0.0.1:4566/", "http://127.0.0.1:4566"),
        ("http://127.255.0.9", "http://127.255.0.9"),
        ("http://[::1]:8080/api", "http://[::1]:8080/api"),
        ("HTTP://localhost", "http://localhost"),
    ],
)
def test_good_endpoint_urls(endpoint_url: str, url: str) -> None:
    assert resolve_endpoint("eu-west-1", endpoint_url=endpoint_url) == Endpoint(
        url=url, signing_region="eu-west-1"
    )


def test_custom_endpoint_without_region_signs_for_us_east_1() -> None:
    # The rule set resolves it (test "custom endpoint with region not set"); SigV4 needs
    # a region, and us-east-1 is what local emulators expect. botocore's client would
    # raise NoRegionError instead.
    assert resolve_endpoint(None, endpoint_url="http://localhost:4566") == Endpoint(
        url="http://localhost:4566", signing_region="us-east-1"
    )


@pytest.mark.parametrize(
    "endpoint_url",
    [
        "http://example.com",
        "http://10.0.0.1:4566",
        "http://localhost.evil.example",
        # issue 14 finding 4: a fully qualified name is resolved through DNS, not hosts
        "http://localhost.",
        "http://localhost.:4566",
        "http://LOCALHOST./path",
        "http://127.0.0.1.nip.io",
        "http://[2001:db8::1]",
        "http://global:1",
    ],
)
def test_http_needs_a_loopback_host_or_allow_http(endpoint_url: str) -> None:
    with pytest.raises(ConfigurationError, match="only allowed for loopback hosts") as info:
        resolve_endpoint("us-east-1", endpoint_url=endpoint_url)
    assert repr(endpoint_url) in str(info.value)
    ep = resolve_endpoint("us-east-1", endpoint_url=endpoint_url, allow_http=True)
    assert ep.url == endpoint_url


@pytest.mark.parametrize(
    "endpoint_url",
    [
        "https://user:hunter2@example.com",
        "https://:hunter2@example.com",
        "http://user:hunter2@localhost:4566",
        "https://user:hun@ter2@example.com/path",
        "https://user:hunter2@example.com?token=1",
        "https://user:hunter2@",
        "https://hunter2@example.com",
    ],
)
def test_userinfo_is_rejected_without_echoing_it(endpoint_url: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape("user information")) as info:
        resolve_endpoint("us-east-1", endpoint_url=endpoint_url, allow_http=True)
    message = str(info.value)
    assert "hunter2" not in message
    assert "ter2" not in message
    assert "***@" in message


@pytest.mark.parametrize(
    ("endpoint_url", "problem"),
    [
        ("https://example.com?x=1", "a query string is not allowed"),
        ("https://example.com/?", "a query string is not allowed"),
        ("https://example.com/p?X-Amz-Security-Token=secret", "a query string is not allowed"),
        ("https://example.com#frag", "a fragment is not allowed"),
        ("https://example.com/p#", "a fragment is not allowed"),
        ("https://example.com:0", "the port must be a number from 1 to 65535"),
        ("https://example.com:65536", "the port must be a number from 1 to 65535"),
        ("https://example.com:99999999", "the port must be a number from 1 to 65535"),
        ("https://example.com:-1", "the port must be a number from 1 to 65535"),
        ("https://example.com:+443", "the port must be a number from 1 to 65535"),
        ("https://example.com:abc", "the port must be a number from 1 to 65535"),
        ("https://example.com:", "the port must be a number from 1 to 65535"),
        ("https://[::1]x", "the port must be a number from 1 to 65535"),
        ("https://example.com:44%33", "the port must be a number from 1 to 65535"),
        (" https://example.com", "whitespace, control or non-ASCII"),
        ("https://example.com ", "whitespace, control or non-ASCII"),
        ("https://exa mple.com", "whitespace, control or non-ASCII"),
        ("https://example.com\n", "whitespace, control or non-ASCII"),
        ("https://example.com/\r\nX-Injected: 1", "whitespace, control or non-ASCII"),
        ("https://exa\tmple.com", "whitespace, control or non-ASCII"),
        ("https://example.com\x00", "whitespace, control or non-ASCII"),
        ("https://example.com\x7f", "whitespace, control or non-ASCII"),
        ("https://exämple.com", "whitespace, control or non-ASCII"),
        ("", "must start with https://"),
        ("example.com", "must start with https://"),
        ("localhost:4566", "must start with https://"),
        ("ftp://example.com", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("//example.com", "must start with https://"),
        ("https:/example.com", "must start with https://"),
        ("https:example.com", "must start with https://"),
        ("https://", "it has no host"),
        ("https:///path", "it has no host"),
        ("https://:443", "it has no host"),
        ("https://exa..mple.com", "is not a valid host name"),
        ("https://-bad.example", "is not a valid host name"),
        ("https://bad-.example", "is not a valid host name"),
        ("https://evil.example\\.good.com", "is not a valid host name"),
        ("https://a%2eb", "is not a valid host name"),
        ("https://" + "a" * 64 + ".com", "is not a valid host name"),
        ("https://" + "a." * 127 + "com", "is not a valid host name"),
        ("https://[::1", "unclosed '['"),
        ("https://[not-ipv6]", "is not an IPv6 address"),
        ("https://[127.0.0.1]", "is not an IPv6 address"),
        ("https://::1/", "IPv6 addresses go in brackets"),
        ("https://2001:db8::1:443", "IPv6 addresses go in brackets"),
    ],
)
def test_bad_endpoint_urls(endpoint_url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_endpoint("us-east-1", endpoint_url=endpoint_url, allow_http=True)
    message = str(info.value)
    assert message.startswith("Invalid endpoint_url ")
    assert problem in message
    assert "secret" not in message


def test_query_and_fragment_are_masked_in_messages() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_endpoint("us-east-1", endpoint_url="https://example.com/p?sig=abc#frag")
    assert "'https://example.com/p?***'" in str(info.value)


@pytest.mark.parametrize("value", [b"https://example.com", 443, ["https://example.com"]])
def test_non_str_endpoint_url_is_rejected(value: object) -> None:
    with pytest.raises(ConfigurationError, match="expected a str"):
        resolve_endpoint("us-east-1", endpoint_url=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", ["use_fips", "use_dualstack", "allow_http"])
@pytest.mark.parametrize("value", ["false", 0, 1, None])
def test_flags_must_be_bools(flag: str, value: object) -> None:
    # A string "false" from an env var must not silently mean True.
    kwargs: dict[str, Any] = {flag: value}
    with pytest.raises(ConfigurationError, match=re.escape(f"Invalid {flag} {value!r}: expected")):
        resolve_endpoint("us-east-1", **kwargs)


@pytest.mark.parametrize(
    ("use_fips", "use_dualstack", "error"),
    [
        (True, False, "Invalid Configuration: FIPS and custom endpoint are not supported"),
        (False, True, "Invalid Configuration: Dualstack and custom endpoint are not supported"),
        (True, True, "Invalid Configuration: FIPS and custom endpoint are not supported"),
    ],
)
def test_fips_or_dualstack_with_custom_endpoint(
    use_fips: bool, use_dualstack: bool, error: str
) -> None:
    for region in ("us-east-1", None):
        with pytest.raises(ConfigurationError, match=re.escape(error)):
            resolve_endpoint(
                region,
                use_fips=use_fips,
                use_dualstack=use_dualstack,
                endpoint_url="http://localhost:4566",
            )


@pytest.mark.parametrize(("use_fips", "use_dualstack"), FLAG_COMBOS)
def test_missing_region(use_fips: bool, use_dualstack: bool) -> None:
    with pytest.raises(ConfigurationError, match="Invalid Configuration: Missing Region"):
        resolve_endpoint(None, use_fips=use_fips, use_dualstack=use_dualstack)


# --- parity with a real botocore client -----------------------------------------------


class _Captured(Exception):
    """Raised by the before-send hook so that nothing leaves the process."""

    def __init__(self, url: str, authorization: str) -> None:
        super().__init__(url)
        self.url = url
        self.authorization = authorization


def _capture(request: Any, **_: Any) -> None:
    auth = request.headers["Authorization"]
    raise _Captured(request.url, auth.decode() if isinstance(auth, bytes) else auth)


@pytest.fixture
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* variable or config file of the machine leaks into botocore."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))


def _botocore_call(region: str, use_fips: bool, use_dualstack: bool) -> tuple[str, str]:
    """(URL, signing region) of a DescribeBatchInferenceJob request made by botocore."""
    client = botocore.session.get_session().create_client(
        "personalize",
        region_name=region,
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        config=Config(
            use_fips_endpoint=use_fips,
            use_dualstack_endpoint=use_dualstack,
            retries={"max_attempts": 1},
        ),
    )
    client.meta.events.register("before-send.personalize", _capture)
    try:
        with pytest.raises(_Captured) as info:
            client.describe_batch_inference_job(
                batchInferenceJobArn="arn:aws:personalize:us-east-1:123456789012:batch-inference-job/x"
            )
    finally:
        client.close()
    match = re.search(
        r"Credential=AKID/\d{8}/([^/]+)/personalize/aws4_request", info.value.authorization
    )
    assert match is not None
    return info.value.url, match.group(1)


PARITY_REGIONS = [
    "us-east-1",
    "eu-west-1",
    "cn-north-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-isob-east-1",
    "xx-unknown-1",
    "fips-us-east-1",
    "us-east-1-fips",
    "fips-us-gov-west-1",
    "us-gov-west-1-fips",
]


@pytest.mark.usefixtures("clean_aws_env")
@pytest.mark.parametrize(("use_fips", "use_dualstack"), FLAG_COMBOS)
@pytest.mark.parametrize("region", PARITY_REGIONS)
def test_parity_with_botocore_client(region: str, use_fips: bool, use_dualstack: bool) -> None:
    url, signing_region = _botocore_call(region, use_fips, use_dualstack)
    ours = resolve_endpoint(region, use_fips=use_fips, use_dualstack=use_dualstack)
    assert url.rstrip("/") == ours.url
    assert signing_region == ours.signing_region
