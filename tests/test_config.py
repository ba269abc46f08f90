"""Tests for personalize_lite._config: INI parsing, file loading, profiles, settings.

Nothing here reads the real ~/.aws: files live under tmp_path and every function gets an
explicit env mapping. Parity tests run botocore on the same files, with os.environ
patched for the botocore side only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import botocore.configloader
import botocore.configprovider
import botocore.exceptions
import botocore.session
import pytest

from personalize_lite._config import (
    MAX_FILE_SIZE,
    AwsFiles,
    Settings,
    config_profiles,
    load_aws_files,
    parse_ini,
    profile_exists,
    profile_section,
    resolve_settings,
    scoped_config,
    services_section,
    validate_profile_name,
)
from personalize_lite._errors import ConfigurationError, PersonalizeError
from tests.support.paths import VECTORS as ALL_VECTORS

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY"
VECTORS = ALL_VECTORS / "botocore-observed"


# --------------------------------------------------------------------------- helpers


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def aws_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An env mapping whose config files live under tmp_path."""
    env = {
        "HOME": str(tmp_path / "home"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    env.update(extra)
    return env


def files_from(config: str = "", credentials: str = "") -> AwsFiles:
    return AwsFiles(
        config=parse_ini(config, path="/cfg"),
        credentials=parse_ini(credentials, path="/creds"),
        config_path="/cfg",
        credentials_path="/creds",
    )


def settings(
    env: Mapping[str, str] | None = None,
    config: str = "",
    credentials: str = "",
    **kwargs: Any,
) -> Settings:
    return resolve_settings(env=env or {}, files=files_from(config, credentials), **kwargs)


def botocore_session(
    monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str], profile: str | None = None
) -> Any:
    for key, value in env.items():
        if key != "HOME":
            monkeypatch.setenv(key, value)
    return botocore.session.Session(profile=profile)


def assert_no_secret(exc: BaseException) -> None:
    assert SECRET not in str(exc)
    assert SECRET not in repr(exc)
    assert SECRET not in repr(exc.args)


# --------------------------------------------------------------------------- parse_ini


def test_parse_ini_sections_keys_and_comments() -> None:
    text = (
        "# a comment\n"
        "; another comment\n"
        "[default]\n"
        "Region = us-west-2\n"
        "output: json\n"
        "note = a ; not a comment\n"
        "  # indented comment\n"
        "[Profile Dev]\n"
        "region=eu-west-1\n"
    )
    parsed = parse_ini(text, path="/x")
    # Option names are lower-cased, section names kept; ':' works as '='; inline ';'
    # is part of the value (no inline comments, as configparser's default).
    assert parsed == {
        "default": {"region": "us-west-2", "output": "json", "note": "a ; not a comment"},
        "Profile Dev": {"region": "eu-west-1"},
    }


def test_parse_ini_nested_values() -> None:
    text = (
        "[services local]\n"
        "personalize =\n"
        "    endpoint_url = http://localhost:4566\n"
        "    Other_Key = x = y\n"
        "\n"
        "s3 =\n"
        "  addressing_style = path\n"
        "region = us-east-1\n"
    )
    parsed = parse_ini(text, path="/x")
    # Nested keys keep their case; the value is split at the first '='.
    assert parsed["services local"] == {
        "personalize": {"endpoint_url": "http://localhost:4566", "Other_Key": "x = y"},
        "s3": {"addressing_style": "path"},
        "region": "us-east-1",
    }


def test_parse_ini_default_section_is_inherited() -> None:
    parsed = parse_ini("[DEFAULT]\nregion = r\n[a]\nx = 1\n", path="/x")
    assert parsed == {"a": {"region": "r", "x": "1"}}


def test_parse_ini_empty_text() -> None:
    assert parse_ini("", path="/x") == {}
    assert parse_ini("\n# only a comment\n", path="/x") == {}


PARITY_TEXTS = [
    "[default]\nregion = us-east-1\n",
    "[default]\nRegion = a\n[profile x]\nregion: b\n# c\n; d\n",
    "[profile x]\ns3 =\n  a = b\n  c = d\n\nregion = r\n",
    "[DEFAULT]\nk = v\n[a]\n[b]\nk = w\n",
    "[a]\nmulti = line one\n  line two\n",
    "[a]\nnote = x ; y # z\n",
    "[a]\nempty =\n",
]


@pytest.mark.parametrize("text", PARITY_TEXTS)
def test_parse_ini_matches_botocore_raw_config_parse(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "config", text)
    assert parse_ini(text, path=str(path)) == botocore.configloader.raw_config_parse(str(path))


GARBAGE = [
    ("key = value\n", 1, "section"),  # no section header
    ("[a]\nx = 1\nx = 2\n", 3, "repeated"),  # duplicate option
    ("[a]\n[a]\n", 2, "twice"),  # duplicate section
    (f"[a]\nx = 1\naws_secret_access_key {SECRET}\n", 3, "key = value"),  # no delimiter
    (f"[a]\nnested =\n  {SECRET}\n", None, "nested"),  # nested line without '='
    ("\x00\x01\x02 binary junk\n", 1, "section"),
]


@pytest.mark.parametrize(("text", "line", "words"), GARBAGE)
def test_parse_ini_garbage_is_a_configuration_error(
    tmp_path: Path, text: str, line: int | None, words: str
) -> None:
    path = str(tmp_path / "my-config")
    with pytest.raises(ConfigurationError) as info:
        parse_ini(text, path=path)
    message = str(info.value)
    assert path in message
    assert words in message
    if line is not None:
        assert f"line {line}" in message
    # The offending line may hold a secret: it is never echoed, nor chained.
    assert_no_secret(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_parse_ini_botocore_also_rejects_the_garbage(tmp_path: Path) -> None:
    for text, _, _ in GARBAGE:
        path = write(tmp_path / "config", text)
        with pytest.raises(botocore.exceptions.ConfigParseError):
            botocore.configloader.raw_config_parse(str(path))


# --------------------------------------------------------------------------- load_aws_files


def test_load_missing_files_are_empty(tmp_path: Path) -> None:
    env = aws_env(tmp_path)
    files = load_aws_files(env)
    assert files == AwsFiles(
        config={},
        credentials={},
        config_path=env["AWS_CONFIG_FILE"],
        credentials_path=env["AWS_SHARED_CREDENTIALS_FILE"],
    )


def test_load_defaults_to_home_dot_aws(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    write(home / ".aws" / "config", "[default]\nregion = r1\n")
    write(home / ".aws" / "credentials", "[default]\naws_access_key_id = AKID\n")
    files = load_aws_files({"HOME": str(home)})
    assert files.config_path == str(home / ".aws" / "config")
    assert files.credentials_path == str(home / ".aws" / "credentials")
    assert files.config == {"default": {"region": "r1"}}
    assert files.credentials == {"default": {"aws_access_key_id": "AKID"}}


def test_load_empty_env_values_mean_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    write(home / ".aws" / "config", "[default]\nregion = r1\n")
    files = load_aws_files({"HOME": str(home), "AWS_CONFIG_FILE": ""})
    assert files.config == {"default": {"region": "r1"}}


def test_load_env_paths_expand_tilde_and_vars(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    write(home / "cfg", "[default]\nregion = from-tilde\n")
    (tmp_path / "d").mkdir()
    write(tmp_path / "d" / "creds", "[p]\naws_access_key_id = A\n")
    env = {
        "HOME": str(home),
        "AWS_CONFIG_FILE": "~/cfg",
        "AWS_SHARED_CREDENTIALS_FILE": "${BASE}/d/$NAME",
        "BASE": str(tmp_path),
        "NAME": "creds",
    }
    files = load_aws_files(env)
    assert files.config_path == str(home / "cfg")
    assert files.credentials_path == str(tmp_path / "d" / "creds")
    assert files.config["default"]["region"] == "from-tilde"
    assert files.credentials["p"]["aws_access_key_id"] == "A"


def test_load_unknown_vars_are_left_alone(tmp_path: Path) -> None:
    env = aws_env(tmp_path, AWS_CONFIG_FILE=str(tmp_path / "$NOPE" / "config"))
    assert load_aws_files(env).config_path == str(tmp_path / "$NOPE" / "config")


def test_load_directory_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    with pytest.raises(ConfigurationError, match="directory") as info:
        load_aws_files(aws_env(tmp_path))
    assert str(tmp_path / "config") in str(info.value)


def test_load_dev_null_reads_as_empty(tmp_path: Path) -> None:
    if not os.path.exists(os.devnull) or os.devnull == "nul":
        pytest.skip("no /dev/null on this platform")
    files = load_aws_files(aws_env(tmp_path, AWS_CONFIG_FILE=os.devnull))
    assert files.config == {}


def test_load_path_under_a_file_reads_as_empty(tmp_path: Path) -> None:
    write(tmp_path / "plain", "x")
    files = load_aws_files(aws_env(tmp_path, AWS_CONFIG_FILE=str(tmp_path / "plain" / "config")))
    assert files.config == {}


def test_load_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading")
    path = write(tmp_path / "config", "[default]\n")
    path.chmod(0)
    try:
        with pytest.raises(ConfigurationError, match="Cannot read") as info:
            load_aws_files(aws_env(tmp_path))
        assert str(path) in str(info.value)
    finally:
        path.chmod(0o600)


def test_load_huge_file_is_refused(tmp_path: Path) -> None:
    line = "# padding padding padding padding padding padding padding padding\n"
    text = "[default]\n" + line * (MAX_FILE_SIZE // len(line) + 1)
    write(tmp_path / "credentials", text)
    with pytest.raises(ConfigurationError, match="larger than") as info:
        load_aws_files(aws_env(tmp_path))
    assert str(tmp_path / "credentials") in str(info.value)


def test_load_file_of_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    head = "[default]\nregion = r\n"
    write(tmp_path / "config", head + "#" * (MAX_FILE_SIZE - len(head) - 1) + "\n")
    assert (tmp_path / "config").stat().st_size == MAX_FILE_SIZE
    assert load_aws_files(aws_env(tmp_path)).config == {"default": {"region": "r"}}


def test_load_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "config").write_bytes(b"[default]\nregion = \xff\xfe\n")
    with pytest.raises(ConfigurationError, match="not UTF-8") as info:
        load_aws_files(aws_env(tmp_path))
    assert str(tmp_path / "config") in str(info.value)


def test_load_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "config").write_bytes(b"\xef\xbb\xbf[default]\nregion = r\n")
    assert load_aws_files(aws_env(tmp_path)).config == {"default": {"region": "r"}}


def test_load_garbage_file_names_the_path(tmp_path: Path) -> None:
    write(tmp_path / "credentials", f"aws_secret_access_key = {SECRET}\n")
    with pytest.raises(ConfigurationError) as info:
        load_aws_files(aws_env(tmp_path))
    assert str(tmp_path / "credentials") in str(info.value)
    assert "line 1" in str(info.value)
    assert_no_secret(info.value)


# --------------------------------------------------------------------------- profiles

PROFILES_CONFIG = (
    "[default]\nregion = d\n"
    "[profile dev]\nregion = dev\n"
    '[profile "with space"]\nregion = ws\n'
    "[bare]\nregion = bare\n"
    "[profile a b]\nregion = ab\n"
    "[profilex]\nregion = px\n"
    "[services local]\npersonalize =\n  endpoint_url = http://l\n"
    "[preview]\nx = 1\n"
)


def test_profile_section_prefixes() -> None:
    files = files_from(PROFILES_CONFIG)
    assert profile_section(files, "default") == {"region": "d"}
    assert profile_section(files, "dev") == {"region": "dev"}
    assert profile_section(files, "with space") == {"region": "ws"}
    # A bare [NAME] is not a profile in the config file (only in the credentials file).
    assert profile_section(files, "bare") == {}
    assert profile_section(files, "missing") == {}
    assert sorted(config_profiles(files)) == ["default", "dev", "with space"]
    assert services_section(files, "local") == {"personalize": {"endpoint_url": "http://l"}}
    assert services_section(files, "nope") is None


def test_profile_map_matches_botocore(tmp_path: Path) -> None:
    path = write(tmp_path / "config", PROFILES_CONFIG)
    ours = config_profiles(files_from(PROFILES_CONFIG))
    theirs = botocore.configloader.load_config(str(path))["profiles"]
    assert dict(ours) == theirs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[default]\nregion = a\n[profile default]\nregion = b\n", "b"),
        ("[profile default]\nregion = b\n[default]\nregion = a\n", "a"),
    ],
)
def test_default_and_profile_default_later_wins_like_botocore(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path / "config", text)
    assert profile_section(files_from(text), "default")["region"] == expected
    assert botocore.configloader.load_config(str(path))["profiles"]["default"]["region"] == (
        expected
    )


def test_profile_exists_in_either_file() -> None:
    files = files_from("[profile c]\n", "[k]\naws_access_key_id = A\n")
    assert profile_exists(files, "c")
    assert profile_exists(files, "k")
    assert not profile_exists(files, "nope")


def test_scoped_config_credentials_file_wins() -> None:
    files = files_from(
        "[profile p]\nregion = from-config\noutput = json\n",
        "[p]\nregion = from-credentials\n",
    )
    assert scoped_config(files, "p") == {"region": "from-credentials", "output": "json"}


@pytest.mark.parametrize("name", ["", "a\x00b", "tab\there", "new\nline", "x" * 257, 42, None])
def test_validate_profile_name_rejects(name: object) -> None:
    with pytest.raises(ConfigurationError):
        validate_profile_name(name)


def test_validate_profile_name_accepts() -> None:
    assert validate_profile_name("x" * 256) == "x" * 256
    assert validate_profile_name("with space") == "with space"


# --------------------------------------------------------------------------- settings: profile


def test_settings_defaults() -> None:
    assert settings() == Settings(
        profile="default",
        profile_explicit=False,
        region=None,
        endpoint_url=None,
        use_fips=False,
        use_dualstack=False,
        max_attempts=None,
        retry_mode=None,
    )


def test_settings_is_frozen() -> None:
    value = settings()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        value.region = "x"  # type: ignore[misc]


PROFILE_FILES = "[profile kw]\n[profile dp]\n[profile p]\n"


def test_profile_precedence_each_level_beats_the_next() -> None:
    env = {"AWS_DEFAULT_PROFILE": "dp", "AWS_PROFILE": "p"}
    kw = settings(env, PROFILE_FILES, profile="kw")
    assert (kw.profile, kw.profile_explicit) == ("kw", True)
    by_default_env = settings(env, PROFILE_FILES)
    assert (by_default_env.profile, by_default_env.profile_explicit) == ("dp", False)
    by_env = settings({"AWS_PROFILE": "p"}, PROFILE_FILES)
    assert (by_env.profile, by_env.profile_explicit) == ("p", False)
    assert settings({}, PROFILE_FILES).profile == "default"
    # An empty variable is unset.
    assert settings({"AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "p"}, PROFILE_FILES).profile == "p"


@pytest.mark.parametrize(
    ("env", "keyword", "expected"),
    [
        ({"AWS_DEFAULT_PROFILE": "dp", "AWS_PROFILE": "p"}, None, "dp"),
        ({"AWS_PROFILE": "p"}, None, "p"),
        ({"AWS_DEFAULT_PROFILE": "dp"}, None, "dp"),
        ({"AWS_PROFILE": "p"}, "kw", "kw"),
        ({}, None, "default"),
    ],
)
def test_profile_precedence_matches_botocore(
    tmp_path: Path,
    botocore_env: pytest.MonkeyPatch,
    env: dict[str, str],
    keyword: str | None,
    expected: str,
) -> None:
    write(tmp_path / "config", PROFILE_FILES)
    full_env = aws_env(tmp_path, **env)
    ours = resolve_settings(env=full_env, files=load_aws_files(full_env), profile=keyword)
    session = botocore_session(botocore_env, full_env, profile=keyword)
    assert ours.profile == expected
    assert (session.get_config_variable("profile") or "default") == expected


@pytest.mark.parametrize(
    ("env", "keyword"),
    [
        ({}, "missing"),
        ({"AWS_PROFILE": "missing"}, None),
        ({"AWS_DEFAULT_PROFILE": "missing"}, None),
        ({}, "default"),  # named explicitly, so it must exist, even "default"
    ],
)
def test_missing_named_profile(
    tmp_path: Path,
    botocore_env: pytest.MonkeyPatch,
    env: dict[str, str],
    keyword: str | None,
) -> None:
    write(tmp_path / "config", "[profile other]\n")
    full_env = aws_env(tmp_path, **env)
    files = load_aws_files(full_env)
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env=full_env, files=files, profile=keyword)
    name = keyword or "missing"
    assert str(info.value) == f"The config profile ({name}) could not be found"
    session = botocore_session(botocore_env, full_env, profile=keyword)
    with pytest.raises(botocore.exceptions.ProfileNotFound) as theirs:
        session.get_scoped_config()
    assert str(theirs.value) == str(info.value)


def test_missing_default_profile_is_fine_when_not_named() -> None:
    assert settings({}, "[profile other]\n").profile == "default"


def test_profile_only_in_credentials_file_exists() -> None:
    value = settings({}, "", "[ci]\naws_access_key_id = A\n", profile="ci")
    assert value.profile == "ci"
    assert value.profile_explicit


@pytest.mark.parametrize("bad", ["", "a\x07b", "y" * 300])
def test_invalid_profile_names(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        settings({}, profile=bad)
    if bad:
        with pytest.raises(ConfigurationError, match="AWS_PROFILE"):
            settings({"AWS_PROFILE": bad})


# --------------------------------------------------------------------------- settings: region

REGION_CONFIG = "[default]\nregion = from-default\n[profile p]\nregion = from-profile\n"


def test_region_precedence_each_level_beats_the_next() -> None:
    env = {"AWS_REGION": "from-aws-region", "AWS_DEFAULT_REGION": "from-default-region"}
    assert settings(env, REGION_CONFIG, region="kw").region == "kw"
    assert settings(env, REGION_CONFIG).region == "from-aws-region"
    assert settings({"AWS_DEFAULT_REGION": "dr"}, REGION_CONFIG).region == "dr"
    assert settings({}, REGION_CONFIG).region == "from-default"
    assert settings({"AWS_PROFILE": "p"}, REGION_CONFIG).region == "from-profile"
    assert settings({}, "").region is None
    assert settings({"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, REGION_CONFIG).region == (
        "from-default"
    )


def test_region_from_credentials_file_counts_like_botocore(
    tmp_path: Path, botocore_env: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "config", "[profile p]\nregion = from-config\n")
    write(tmp_path / "credentials", "[p]\nregion = from-credentials\n")
    env = aws_env(tmp_path, AWS_PROFILE="p")
    ours = resolve_settings(env=env, files=load_aws_files(env))
    session = botocore_session(botocore_env, env)
    assert ours.region == session.get_config_variable("region") == "from-credentials"


@pytest.mark.parametrize(
    ("env", "keyword"),
    [
        ({"AWS_DEFAULT_REGION": "env-region"}, None),
        ({}, None),
        ({"AWS_PROFILE": "p"}, None),
        ({"AWS_DEFAULT_REGION": "env-region", "AWS_PROFILE": "p"}, None),
        ({"AWS_DEFAULT_REGION": "env-region"}, "p"),
    ],
)
def test_region_matches_botocore(
    tmp_path: Path,
    botocore_env: pytest.MonkeyPatch,
    env: dict[str, str],
    keyword: str | None,
) -> None:
    write(tmp_path / "config", REGION_CONFIG)
    full_env = aws_env(tmp_path, **env)
    ours = resolve_settings(env=full_env, files=load_aws_files(full_env), profile=keyword)
    session = botocore_session(botocore_env, full_env, profile=keyword)
    assert ours.region == session.get_config_variable("region")
    assert ours.region is not None


def test_aws_region_is_read_unlike_botocore(
    tmp_path: Path, botocore_env: pytest.MonkeyPatch
) -> None:
    """A deliberate difference: AWS_REGION (the variable every other AWS SDK and the
    Lambda runtime use) is honoured, above AWS_DEFAULT_REGION; botocore ignores it."""
    full_env = aws_env(tmp_path, AWS_REGION="eu-central-1")
    ours = resolve_settings(env=full_env, files=load_aws_files(full_env))
    session = botocore_session(botocore_env, full_env)
    assert ours.region == "eu-central-1"
    assert session.get_config_variable("region") is None


# --------------------------------------------------------------------------- settings: endpoint

ENDPOINT_CONFIG = (
    "[default]\n"
    "services = local\n"
    "endpoint_url = http://profile-global:5\n"
    "[services local]\n"
    "personalize =\n"
    "  endpoint_url = http://services-section:4\n"
    "s3 =\n"
    "  endpoint_url = http://not-for-us:9\n"
    "[profile plain]\n"
    "endpoint_url = http://profile-global:5\n"
    "[profile other-service]\n"
    "services = s3only\n"
    "endpoint_url = http://profile-global:5\n"
    "[services s3only]\n"
    "s3 =\n"
    "  endpoint_url = http://not-for-us:9\n"
    "[profile ignoring]\n"
    "ignore_configured_endpoint_urls = TRUE\n"
    "endpoint_url = http://profile-global:5\n"
    "[profile broken]\n"
    "services = nowhere\n"
    "[profile flat]\n"
    "services = flat\n"
    "[services flat]\n"
    "personalize = http://not-nested\n"
)

ALL_ENDPOINT_ENV = {
    "AWS_ENDPOINT_URL_PERSONALIZE": "http://env-service:2",
    "AWS_ENDPOINT_URL": "http://env-global:1",
}


def test_endpoint_precedence_each_level_beats_the_next() -> None:
    cfg = ENDPOINT_CONFIG
    assert settings(ALL_ENDPOINT_ENV, cfg, endpoint_url="http://kw:3").endpoint_url == (
        "http://kw:3"
    )
    assert settings(ALL_ENDPOINT_ENV, cfg).endpoint_url == "http://env-service:2"
    assert settings({"AWS_ENDPOINT_URL": "http://env-global:1"}, cfg).endpoint_url == (
        "http://env-global:1"
    )
    assert settings({}, cfg).endpoint_url == "http://services-section:4"
    assert settings({}, cfg, profile="plain").endpoint_url == "http://profile-global:5"
    # A services section without a personalize entry falls through to the profile.
    assert settings({}, cfg, profile="other-service").endpoint_url == "http://profile-global:5"
    assert settings({}, "").endpoint_url is None
    # Empty variables are unset.
    env = {"AWS_ENDPOINT_URL_PERSONALIZE": "", "AWS_ENDPOINT_URL": ""}
    assert settings(env, cfg).endpoint_url == "http://services-section:4"


def test_ignore_configured_endpoint_urls_from_env() -> None:
    for value in ("true", "True", "TRUE"):
        env = {**ALL_ENDPOINT_ENV, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": value}
        assert settings(env, ENDPOINT_CONFIG).endpoint_url is None
        # The explicit keyword is never ignored.
        assert settings(env, ENDPOINT_CONFIG, endpoint_url="http://kw:3").endpoint_url == (
            "http://kw:3"
        )
    env = {**ALL_ENDPOINT_ENV, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}
    assert settings(env, ENDPOINT_CONFIG).endpoint_url == "http://env-service:2"


def test_ignore_configured_endpoint_urls_from_profile() -> None:
    assert settings(ALL_ENDPOINT_ENV, ENDPOINT_CONFIG, profile="ignoring").endpoint_url is None
    # The environment variable beats the profile setting, both ways.
    env = {**ALL_ENDPOINT_ENV, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}
    assert settings(env, ENDPOINT_CONFIG, profile="ignoring").endpoint_url == (
        "http://env-service:2"
    )
    env = {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert settings(env, ENDPOINT_CONFIG, profile="plain").endpoint_url is None


def test_ignore_configured_endpoint_urls_bad_value() -> None:
    with pytest.raises(ConfigurationError, match="AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        settings({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes"}, ENDPOINT_CONFIG)


def test_missing_services_section_is_an_error_only_when_reached() -> None:
    with pytest.raises(ConfigurationError, match='"nowhere" services configuration'):
        settings({}, ENDPOINT_CONFIG, profile="broken")
    # botocore looks at the environment first; so do we.
    env = {"AWS_ENDPOINT_URL": "http://env-global:1"}
    assert settings(env, ENDPOINT_CONFIG, profile="broken").endpoint_url == "http://env-global:1"


def test_services_entry_must_be_nested() -> None:
    with pytest.raises(ConfigurationError, match="nested"):
        settings({}, ENDPOINT_CONFIG, profile="flat")


@pytest.mark.parametrize(
    ("env", "profile"),
    [
        (ALL_ENDPOINT_ENV, None),
        ({"AWS_ENDPOINT_URL": "http://env-global:1"}, None),
        ({}, None),
        ({}, "plain"),
        ({}, "other-service"),
        ({}, "ignoring"),
        ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, None),
    ],
)
def test_endpoint_matches_botocore_configured_endpoint_provider(
    tmp_path: Path, env: dict[str, str], profile: str | None
) -> None:
    path = write(tmp_path / "config", ENDPOINT_CONFIG)
    full_config = botocore.configloader.load_config(str(path))
    scoped = full_config["profiles"][profile or "default"]
    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true" or (
        scoped.get("ignore_configured_endpoint_urls", "").lower() == "true"
    )
    provider = botocore.configprovider.ConfiguredEndpointProvider(
        full_config=full_config, scoped_config=scoped, client_name="personalize", environ=env
    )
    theirs = None if ignore else provider.provide()
    assert settings(env, ENDPOINT_CONFIG, profile=profile).endpoint_url == theirs


def _endpoint_vectors() -> dict[str, dict[str, Any]]:
    path = VECTORS / "endpoints.out.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {case["case"]: case["result"] for case in data["custom_endpoint_and_env"]}


# case name in endpoints.out.json -> (env, keywords) as the capture script set them up
ENDPOINT_VECTOR_CASES: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "client: endpoint_url=http://localhost:4566 + use_fips_endpoint=True (builtins forced False)": (
        {},
        {"endpoint_url": "http://localhost:4566", "use_fips": True},
    ),
    "client: endpoint_url=https://example.com/some/path": (
        {},
        {"endpoint_url": "https://example.com/some/path"},
    ),
    "client: env AWS_ENDPOINT_URL=http://global:1": ({"AWS_ENDPOINT_URL": "http://global:1"}, {}),
    "client: env AWS_ENDPOINT_URL_PERSONALIZE=http://svc:2": (
        {"AWS_ENDPOINT_URL_PERSONALIZE": "http://svc:2"},
        {},
    ),
    "client: both env vars -> service-specific wins": (
        {"AWS_ENDPOINT_URL": "http://global:1", "AWS_ENDPOINT_URL_PERSONALIZE": "http://svc:2"},
        {},
    ),
    "client: env var + explicit endpoint_url -> explicit wins": (
        {"AWS_ENDPOINT_URL": "http://global:1", "AWS_ENDPOINT_URL_PERSONALIZE": "http://svc:2"},
        {"endpoint_url": "http://explicit:3"},
    ),
    "client: env var + AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true": (
        {
            "AWS_ENDPOINT_URL": "http://global:1",
            "AWS_ENDPOINT_URL_PERSONALIZE": "http://svc:2",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        },
        {},
    ),
    "client: env AWS_USE_FIPS_ENDPOINT=true": ({"AWS_USE_FIPS_ENDPOINT": "true"}, {}),
    "client: env AWS_USE_DUALSTACK_ENDPOINT=true": ({"AWS_USE_DUALSTACK_ENDPOINT": "true"}, {}),
}


@pytest.mark.parametrize("case", sorted(ENDPOINT_VECTOR_CASES))
def test_endpoint_precedence_vectors_from_botocore(case: str) -> None:
    vectors = _endpoint_vectors()
    assert case in vectors, f"vector {case!r} disappeared from endpoints.out.json"
    observed = vectors[case]
    env, keywords = ENDPOINT_VECTOR_CASES[case]
    ours = settings({"AWS_DEFAULT_REGION": "us-east-1", **env}, "", **keywords)
    host = observed["host"]
    if ours.endpoint_url is not None:
        # botocore adds a trailing "/" to a bare host.
        assert observed["url"].rstrip("/") == ours.endpoint_url.rstrip("/")
        return
    assert host.endswith((".amazonaws.com", ".api.aws"))
    assert ours.use_fips == ("-fips." in host)
    assert ours.use_dualstack == host.endswith(".api.aws")


# --------------------------------------------------------------------------- settings: flags

FLAG_CONFIG = (
    "[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = True\n"
    "max_attempts = 7\nretry_mode = adaptive\n"
    "[profile bad]\nuse_fips_endpoint = yes\nmax_attempts = 0\nretry_mode = fast\n"
)


@pytest.mark.parametrize(
    ("field", "env_var"),
    [("use_fips", "AWS_USE_FIPS_ENDPOINT"), ("use_dualstack", "AWS_USE_DUALSTACK_ENDPOINT")],
)
def test_boolean_precedence(field: str, env_var: str) -> None:
    # keyword > env > profile > False
    off: dict[str, Any] = {field: False}
    on: dict[str, Any] = {field: True}
    assert getattr(settings({env_var: "true"}, FLAG_CONFIG, **off), field) is False
    assert getattr(settings({env_var: "false"}, "", **on), field) is True
    assert getattr(settings({env_var: "FALSE"}, FLAG_CONFIG), field) is False
    assert getattr(settings({env_var: "tRuE"}, ""), field) is True
    assert getattr(settings({}, FLAG_CONFIG), field) is True
    assert getattr(settings({env_var: ""}, FLAG_CONFIG), field) is True
    assert getattr(settings({}, ""), field) is False


@pytest.mark.parametrize(
    ("env_var", "value"),
    [
        ("AWS_USE_FIPS_ENDPOINT", "1"),
        ("AWS_USE_FIPS_ENDPOINT", "yes"),
        ("AWS_USE_DUALSTACK_ENDPOINT", " true"),
        ("AWS_USE_DUALSTACK_ENDPOINT", "on"),
    ],
)
def test_boolean_bad_env_values(env_var: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=env_var):
        settings({env_var: value})


def test_boolean_bad_profile_value_names_profile() -> None:
    with pytest.raises(ConfigurationError, match="use_fips_endpoint in profile 'bad'"):
        settings({}, FLAG_CONFIG, profile="bad")


def test_max_attempts_and_retry_mode_precedence() -> None:
    value = settings({"AWS_MAX_ATTEMPTS": "3", "AWS_RETRY_MODE": "legacy"}, FLAG_CONFIG)
    assert (value.max_attempts, value.retry_mode) == (3, "legacy")
    value = settings({}, FLAG_CONFIG)
    assert (value.max_attempts, value.retry_mode) == (7, "adaptive")
    value = settings({}, "")
    assert (value.max_attempts, value.retry_mode) == (None, None)
    # The environment wins before the profile's bad values are even looked at.
    env = {
        "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard",
        "AWS_USE_FIPS_ENDPOINT": "false",
    }
    value = settings(env, FLAG_CONFIG, profile="bad")
    assert (value.max_attempts, value.retry_mode) == (2, "standard")


@pytest.mark.parametrize("bad", ["0", "-1", "3.0", "three", "1e3", "\u0663"])
def test_max_attempts_invalid(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="AWS_MAX_ATTEMPTS"):
        settings({"AWS_MAX_ATTEMPTS": bad})


@pytest.mark.parametrize("bad", ["Standard", "fast", "adaptive "])
def test_retry_mode_invalid(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="AWS_RETRY_MODE"):
        settings({"AWS_RETRY_MODE": bad})


def test_profile_bad_numbers_name_the_profile() -> None:
    env = {"AWS_USE_FIPS_ENDPOINT": "false", "AWS_RETRY_MODE": "standard"}
    with pytest.raises(ConfigurationError, match="max_attempts in profile 'bad'"):
        settings(env, FLAG_CONFIG, profile="bad")
    env = {"AWS_USE_FIPS_ENDPOINT": "false", "AWS_MAX_ATTEMPTS": "1"}
    with pytest.raises(ConfigurationError, match="retry_mode in profile 'bad'"):
        settings(env, FLAG_CONFIG, profile="bad")


def test_nested_value_where_a_single_value_is_expected() -> None:
    with pytest.raises(ConfigurationError, match="region"):
        settings({}, "[default]\nregion =\n  a = b\n")


def test_errors_belong_to_the_tree() -> None:
    assert issubclass(ConfigurationError, PersonalizeError)
    with pytest.raises(PersonalizeError):
        settings({"AWS_RETRY_MODE": "nope"})


def test_ca_bundle_precedence() -> None:
    """``AWS_CA_BUNDLE`` > the profile's ``ca_bundle`` > none, as botocore's config chain."""
    config = "[default]\nca_bundle = /from/profile.pem\n"
    assert settings(config=config).ca_bundle == "/from/profile.pem"
    assert settings({"AWS_CA_BUNDLE": "/from/env.pem"}, config=config).ca_bundle == (
        "/from/env.pem"
    )
    assert settings({"AWS_CA_BUNDLE": ""}, config=config).ca_bundle == "/from/profile.pem"
    assert settings().ca_bundle is None


# --------------------------------------------------------------------------- read_bounded


def _read_in_a_thread(path: str, limit: int = 1024) -> object:
    """read_bounded(path) in a daemon thread, waited for at most 5 s; the outcome (bytes
    or the exception). A reader still blocked on a FIFO is released by opening its
    other end, so the test never leaves a thread behind."""
    import threading

    from personalize_lite._config import read_bounded

    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(read_bounded(path, limit))
        except Exception as exc:  # the outcome under test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # releases the blocked open
        thread.join(5)
        pytest.fail(f"read_bounded({path!r}) was still blocked after 5 s")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_read_bounded_refuses_a_fifo_without_a_writer_at_once(tmp_path: Path) -> None:
    """Review S4: opening a FIFO that nobody writes to blocked forever (in the async
    client, an uncancellable worker thread)."""
    import errno
    import time

    path = tmp_path / "token"
    os.mkfifo(path)
    started = time.perf_counter()
    outcome = _read_in_a_thread(str(path))
    assert time.perf_counter() - started < 2.0
    assert isinstance(outcome, OSError), outcome
    assert outcome.errno == errno.EINVAL
    assert outcome.strerror == "not a regular file (a FIFO)"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("/dev/zero", "not a regular file (a character device)"),
        ("directory", "Is a directory"),
        ("regular", b"token"),
        ("too large", f"larger than {len('token') - 1} bytes"),
    ],
)
def test_read_bounded_reads_regular_files_only_and_within_the_limit(
    kind: str, expected: object, tmp_path: Path
) -> None:
    path = kind
    if kind == "directory":
        path = str(tmp_path)
    elif kind in ("regular", "too large"):
        (tmp_path / "token").write_bytes(b"token")
        path = str(tmp_path / "token")
    elif not os.path.exists(kind):
        pytest.skip(f"{kind} does not exist here")
    outcome = _read_in_a_thread(path, 5 if kind == "regular" else 4)
    if isinstance(expected, bytes):
        assert outcome == expected
    else:
        assert isinstance(outcome, OSError), outcome
        assert outcome.strerror == expected
