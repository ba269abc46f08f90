"""The shared AWS config and credentials files, profiles, and settings precedence.

Two layers:

* :func:`load_aws_files` is the only function here that touches the disk. It reads the
  shared config file (``AWS_CONFIG_FILE``, default ``~/.aws/config``) and the shared
  credentials file (``AWS_SHARED_CREDENTIALS_FILE``, default ``~/.aws/credentials``) into
  an :class:`AwsFiles` value. Drivers run it as a blocking step.
* :func:`resolve_settings` is a pure function of the environment mapping, the loaded
  files and the caller's keywords. It applies boto3's precedence (keyword, then
  environment, then the profile) and returns a frozen :class:`Settings`.

The INI dialect is botocore's (``botocore.configloader.raw_config_parse``): Python's
:class:`configparser.RawConfigParser` (option names lower-cased, section names kept as
written, ``#`` and ``;`` full-line comments, ``=`` or ``:`` delimiters, values of a
``[DEFAULT]`` section inherited by every section, duplicate sections or options are
errors) plus one level of nesting::

    [profile dev]
    s3 =
        addressing_style = path      ->  {"s3": {"addressing_style": "path"}}

Error messages name the file and the line, never the text of the line: the line may hold
a secret key.
"""

from __future__ import annotations

import configparser
import errno
import os
import re
import shlex
import stat
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from ._errors import ConfigurationError

__all__ = [
    "MAX_FILE_SIZE",
    "MAX_LOCAL_SOURCE",
    "SERVICE_ID",
    "AwsFiles",
    "Settings",
    "config_profiles",
    "configured_endpoint_url",
    "expand_path",
    "load_aws_files",
    "named_sections",
    "parse_ini",
    "profile_exists",
    "profile_section",
    "read_bounded",
    "resolve_settings",
    "scoped_config",
    "services_section",
    "validate_profile_name",
]

#: Files larger than this are refused: no real AWS config is anywhere near 1 MiB.
MAX_FILE_SIZE = 1024 * 1024
#: The most bytes read from any other local source of secrets: a token file (web
#: identity, container authorization), a cached SSO token, a credential_process's stdout
#: or stderr. Each holds one token or one small JSON document.
MAX_LOCAL_SOURCE = 1024 * 1024
#: The service id, normalised as botocore does for ``AWS_ENDPOINT_URL_<ID>`` and the
#: key in a ``[services NAME]`` section (lower case, ``-`` replaced by ``_``).
SERVICE_ID = "personalize"
_MAX_PROFILE_NAME = 256
_RETRY_MODES = ("legacy", "standard", "adaptive")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ENV_VAR = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)

_T = TypeVar("_T")


@attrs.frozen(kw_only=True, slots=True)
class AwsFiles:
    """The parsed contents of the shared config and credentials files.

    ``config`` and ``credentials`` map section names, exactly as written (``"default"``,
    ``"profile dev"``, ``"services local"``), to their values. A missing file is empty.
    """

    #: The contents stay out of the repr: either file may hold secret keys.
    config: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=False)
    credentials: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=False)
    config_path: str = ""
    credentials_path: str = ""


@attrs.frozen(kw_only=True, slots=True)
class Settings:
    """Client settings after applying boto3's precedence. Values are not validated here
    beyond their type (the endpoint module validates regions and URLs)."""

    #: The profile in effect (``"default"`` when none was named).
    profile: str
    #: True when the caller passed ``profile=`` (not when it came from the environment).
    profile_explicit: bool
    region: str | None
    #: The configured endpoint URL (keyword > env > config file), None if none.
    endpoint_url: str | None
    use_fips: bool
    use_dualstack: bool
    max_attempts: int | None
    retry_mode: str | None
    #: A PEM bundle to verify TLS with instead of the default trust store.
    ca_bundle: str | None = None


# --------------------------------------------------------------------------- parsing


def parse_ini(text: str, *, path: str) -> dict[str, dict[str, Any]]:
    """Parse INI text as botocore's ``raw_config_parse`` does.

    Returns section name -> option name -> value, where a value whose first line is empty
    is parsed as a nested mapping. ``path`` is used in error messages only. Raises
    :class:`ConfigurationError` naming ``path`` and the line number (never the line).
    """
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        problem: str | None = _describe_parse_error(exc, path)
    else:
        problem = None
    # Raised outside the except block: configparser's errors quote the offending line
    # (a secret key, perhaps), and would ride along as __context__.
    if problem is not None:
        raise ConfigurationError(problem) from None
    result: dict[str, dict[str, Any]] = {}
    for section in parser.sections():
        values: dict[str, Any] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n"):
                values[option] = _parse_nested(value, path=path, section=section, option=option)
            else:
                values[option] = value
        result[section] = values
    return result


def _parse_nested(value: str, *, path: str, section: str, option: str) -> dict[str, str]:
    nested: dict[str, str] = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, sub_value = line.partition("=")
        if not sep:
            raise ConfigurationError(
                f"Unable to parse config file {path}: in section [{section}], the nested "
                f"values of {option!r} must each be written 'key = value'"
            )
        nested[key.strip()] = sub_value.strip()
    return nested


def _describe_parse_error(exc: configparser.Error, path: str) -> str:
    prefix = f"Unable to parse config file {path}"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"{prefix}: line {exc.lineno}: expected a [section] header before any value"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"{prefix}: line {exc.lineno}: option {exc.option!r} repeated in [{exc.section}]"
    if isinstance(exc, configparser.DuplicateSectionError):
        where = f"line {exc.lineno}: " if exc.lineno is not None else ""
        return f"{prefix}: {where}section [{exc.section}] appears twice"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        return f"{prefix}: line {lines}: expected 'key = value', a [section] or a comment"
    lineno = getattr(exc, "lineno", None)
    where = f": line {lineno}" if lineno is not None else ""
    return f"{prefix}{where}: {type(exc).__name__}"


# --------------------------------------------------------------------------- file I/O


def load_aws_files(env: Mapping[str, str]) -> AwsFiles:
    """Read the shared config and credentials files named by ``env``.

    ``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` (defaults ``~/.aws/config``
    and ``~/.aws/credentials``) have ``$VAR`` and ``~`` expanded from ``env``. A missing
    file reads as empty; a directory, an unreadable file, a file that is not UTF-8 or a
    file over :data:`MAX_FILE_SIZE` raise :class:`ConfigurationError`. This is the only
    function in the module that performs I/O; it blocks.
    """
    config_path = expand_path(_env(env, "AWS_CONFIG_FILE") or "~/.aws/config", env)
    credentials_path = expand_path(
        _env(env, "AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", env
    )
    config_text = _read_text(config_path)
    credentials_text = _read_text(credentials_path)
    return AwsFiles(
        config=parse_ini(config_text, path=config_path) if config_text else {},
        credentials=parse_ini(credentials_text, path=credentials_path) if credentials_text else {},
        config_path=config_path,
        credentials_path=credentials_path,
    )


def expand_path(path: str, env: Mapping[str, str]) -> str:
    def var(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("{"):
            name = name[1:-1]
        return env.get(name, match.group(0))

    path = _ENV_VAR.sub(var, path)
    if path == "~" or path.startswith(("~/", "~" + os.sep)):
        home = env.get("HOME") or (env.get("USERPROFILE") if sys.platform == "win32" else None)
        if home is None:
            home = _home_from_system()
        path = home.rstrip("/" + os.sep) + path[1:] if path != "~" else home
    elif path.startswith("~"):
        # ~user: looked up in the password database, not the environment.
        path = os.path.expanduser(path)
    return path


def _home_from_system() -> str:
    if sys.platform != "win32":
        import pwd

        try:
            return pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:
            pass
    raise ConfigurationError(
        "Cannot find the home directory for ~/.aws: set HOME, or set AWS_CONFIG_FILE "
        "and AWS_SHARED_CREDENTIALS_FILE"
    )


#: What :func:`read_bounded` calls the kinds of file it refuses.
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_bounded(path: str, limit: int = MAX_LOCAL_SOURCE) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them (blocking,
    but never for long).

    The file is opened without blocking (``O_NONBLOCK``: a FIFO with no writer would
    block the open forever, and in the async client that is a worker thread nobody can
    cancel), then refused unless ``fstat`` says it is a regular file: a directory raises
    ``IsADirectoryError``; a FIFO, a device (``/dev/zero``) or a socket raise
    ``OSError(errno.EINVAL, "not a regular file (a FIFO)")``. Never reads more than
    ``limit + 1`` bytes: past ``limit`` it raises ``OSError(errno.EFBIG, "larger than N
    bytes")``. Callers show ``strerror``. Every local source of credentials goes
    through here.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with open(fd, "rb", closefd=True) as stream:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "an unknown kind")
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes")
    return data


def _read_text(path: str) -> str:
    """The file's text; empty when it does not exist or is not a regular file or a
    directory (botocore reads only regular files: ``/dev/null`` means "no file")."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ""
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError:  # a NUL or a lone surrogate: no file can have this name
        raise ConfigurationError(f"Cannot read {path!r}: not a usable file name") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigurationError(f"Cannot read {path}: it is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        return ""
    data, too_large = b"", False
    try:
        data = read_bounded(path, MAX_FILE_SIZE)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        too_large = exc.errno == errno.EFBIG
        if not too_large:
            raise ConfigurationError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if too_large:
        raise ConfigurationError(
            f"Refusing to read {path}: it is larger than {MAX_FILE_SIZE} bytes, "
            "which is not a plausible AWS config file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_byte: int | None = exc.start
    else:
        bad_byte = None
    # Raised outside the except block: the decoding error, which holds the whole file
    # (secret keys included), must not ride along as __context__.
    if bad_byte is not None:
        raise ConfigurationError(
            f"Cannot read {path}: not UTF-8 text (invalid byte at offset {bad_byte})"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ConfigurationError(
            f"Cannot read {path}: line {line} contains a NUL byte (not a text file)"
        )
    return text


# --------------------------------------------------------------------------- profiles


def named_sections(config: Mapping[str, Mapping[str, Any]], prefix: str) -> dict[str, Any]:
    """botocore's ``build_profile_map`` for one kind of section, in file order (the
    later of ``[default]`` and ``[profile default]`` wins, as in botocore)."""
    found: dict[str, Any] = {}
    for key, values in config.items():
        if prefix == "profile" and key == "default":
            found["default"] = values
            continue
        if not key.startswith(prefix):
            continue
        try:
            parts = shlex.split(key)
        except ValueError:
            continue
        if len(parts) == 2 and parts[0] == prefix:
            found[parts[1]] = values
    return found


def config_profiles(files: AwsFiles) -> Mapping[str, Mapping[str, Any]]:
    """The config file's profiles by name (botocore's ``build_profile_map``)."""
    return named_sections(files.config, "profile")


def profile_section(files: AwsFiles, name: str) -> Mapping[str, Any]:
    """The config file's section for profile ``name`` (``[default]`` or
    ``[profile NAME]``; a bare ``[NAME]`` is not a profile in the config file). Empty
    if absent."""
    section = named_sections(files.config, "profile").get(name)
    return section if section is not None else {}


def services_section(files: AwsFiles, name: str) -> Mapping[str, Any] | None:
    """The config file's ``[services NAME]`` section, or None if absent."""
    section = named_sections(files.config, "services").get(name)
    return section if section is not None else None


def profile_exists(files: AwsFiles, name: str) -> bool:
    """Whether ``name`` is a profile of the config file or a section of the credentials
    file (botocore's profile map is the union of both)."""
    return name in files.credentials or name in named_sections(files.config, "profile")


def scoped_config(files: AwsFiles, name: str) -> Mapping[str, Any]:
    """The profile's settings as botocore's ``Session.get_scoped_config`` sees them: the
    config file's profile, updated with the credentials file's section of the same name
    (so a ``region`` in the credentials file counts, and wins)."""
    merged = dict(profile_section(files, name))
    merged.update(files.credentials.get(name, {}))
    return merged


def validate_profile_name(name: object, *, source: str = "profile") -> str:
    """Return ``name`` if it is a usable profile name, else raise ConfigurationError."""
    if not isinstance(name, str):
        raise ConfigurationError(f"{source} must be a str, not {type(name).__name__}")
    if not name:
        raise ConfigurationError(f"{source} must not be empty")
    if len(name) > _MAX_PROFILE_NAME:
        raise ConfigurationError(f"{source} is longer than {_MAX_PROFILE_NAME} characters")
    if _CONTROL.search(name):
        raise ConfigurationError(f"{source} contains control characters")
    return name


# --------------------------------------------------------------------------- settings


def _env(env: Mapping[str, str], name: str) -> str | None:
    """An environment value; an empty value counts as unset."""
    value = env.get(name)
    return value if value else None


def _text(value: Any, *, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a single value, not a nested section")
    return value


def _parse_bool(value: str, *, what: str) -> bool:
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ConfigurationError(f"{what} must be 'true' or 'false', not {value!r}")


def _parse_max_attempts(value: str, *, what: str) -> int:
    text = value.strip()
    # At most 9 digits: int() refuses strings of over 4300 digits with a bare ValueError.
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        shown = repr(value) if len(value) <= 40 else f"{value[:37]!r}..."
        raise ConfigurationError(
            f"{what} must be a whole number >= 1 (9 digits at most), not {shown}"
        )
    return int(text)


def _parse_retry_mode(value: str, *, what: str) -> str:
    if value not in _RETRY_MODES:
        raise ConfigurationError(f"{what} must be one of {', '.join(_RETRY_MODES)}, not {value!r}")
    return value


def _lookup(
    env: Mapping[str, str],
    env_name: str,
    profile: Mapping[str, Any],
    key: str,
    profile_name: str,
    parse: Callable[..., _T],
) -> _T | None:
    """Environment variable, else the profile's key, parsed; None when neither is set."""
    value = _env(env, env_name)
    if value is not None:
        return parse(value, what=env_name)
    if key in profile:
        what = f"{key} in profile {profile_name!r}"
        return parse(_text(profile[key], what=what), what=what)
    return None


def _identity(value: str, *, what: str) -> str:  # noqa: ARG001 (same shape as the parsers)
    return value


def resolve_settings(
    *,
    env: Mapping[str, str],
    files: AwsFiles,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    use_fips: bool | None = None,
    use_dualstack: bool | None = None,
) -> Settings:
    """Apply boto3's precedence to the keywords, ``env`` and ``files``.

    * profile: ``profile=`` > ``AWS_DEFAULT_PROFILE`` > ``AWS_PROFILE`` > ``"default"``
      (botocore's order). A named profile (keyword or env) that neither file defines
      raises ConfigurationError, as botocore's ``ProfileNotFound``.
    * region: ``region=`` > ``AWS_REGION`` > ``AWS_DEFAULT_REGION`` > profile ``region``.
    * endpoint_url: ``endpoint_url=`` > ``AWS_ENDPOINT_URL_PERSONALIZE`` >
      ``AWS_ENDPOINT_URL`` > the profile's ``[services NAME]`` section's
      ``personalize.endpoint_url`` > profile ``endpoint_url``; everything but the keyword
      is switched off by ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` or the profile's
      ``ignore_configured_endpoint_urls``.
    * use_fips / use_dualstack: keyword > ``AWS_USE_FIPS_ENDPOINT`` /
      ``AWS_USE_DUALSTACK_ENDPOINT`` > profile ``use_fips_endpoint`` /
      ``use_dualstack_endpoint`` > False.
    * max_attempts / retry_mode: ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` > profile.
    * ca_bundle: ``AWS_CA_BUNDLE`` > profile ``ca_bundle``.

    Empty environment variables count as unset. Booleans are ``true`` / ``false`` in any
    case; anything else raises ConfigurationError, as does a bad max_attempts or
    retry_mode.
    """
    if profile is not None:
        name = validate_profile_name(profile, source="profile")
        named = True
    else:
        from_env = next(
            (
                (var, value)
                for var in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")
                if (value := _env(env, var)) is not None
            ),
            None,
        )
        if from_env is not None:
            name = validate_profile_name(from_env[1], source=from_env[0])
            named = True
        else:
            name, named = "default", False
    if named and not profile_exists(files, name):
        raise ConfigurationError(f"The config profile ({name}) could not be found")
    scoped = scoped_config(files, name)

    if region is None:
        region = _env(env, "AWS_REGION") or _lookup(
            env, "AWS_DEFAULT_REGION", scoped, "region", name, _identity
        )

    if endpoint_url is None:
        endpoint_url = _configured_endpoint_url(env, files, scoped, name)

    if use_fips is None:
        use_fips = _lookup(
            env, "AWS_USE_FIPS_ENDPOINT", scoped, "use_fips_endpoint", name, _parse_bool
        )
    if use_dualstack is None:
        use_dualstack = _lookup(
            env, "AWS_USE_DUALSTACK_ENDPOINT", scoped, "use_dualstack_endpoint", name, _parse_bool
        )

    return Settings(
        profile=name,
        profile_explicit=profile is not None,
        region=region,
        endpoint_url=endpoint_url,
        use_fips=bool(use_fips),
        use_dualstack=bool(use_dualstack),
        max_attempts=_lookup(
            env, "AWS_MAX_ATTEMPTS", scoped, "max_attempts", name, _parse_max_attempts
        ),
        retry_mode=_lookup(env, "AWS_RETRY_MODE", scoped, "retry_mode", name, _parse_retry_mode),
        ca_bundle=_lookup(env, "AWS_CA_BUNDLE", scoped, "ca_bundle", name, _identity),
    )


def configured_endpoint_url(
    *, env: Mapping[str, str], files: AwsFiles, profile: str, service_id: str
) -> str | None:
    """The endpoint configured for another service (``sts``, ``sso``), as botocore finds
    it: ``AWS_ENDPOINT_URL_<SERVICE>`` > ``AWS_ENDPOINT_URL`` > the profile's services
    section > the profile's ``endpoint_url``, all behind the ignore switch."""
    return _configured_endpoint_url(
        env, files, scoped_config(files, profile), profile, service_id=service_id
    )


def _configured_endpoint_url(
    env: Mapping[str, str],
    files: AwsFiles,
    scoped: Mapping[str, Any],
    profile: str,
    *,
    service_id: str = SERVICE_ID,
) -> str | None:
    """botocore's ``ConfiguredEndpointProvider``, behind its ignore switch."""
    ignore = _lookup(
        env,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        scoped,
        "ignore_configured_endpoint_urls",
        profile,
        _parse_bool,
    )
    if ignore:
        return None
    env_service = f"AWS_ENDPOINT_URL_{service_id.upper().replace(' ', '_')}"
    for var in (env_service, "AWS_ENDPOINT_URL"):
        value = _env(env, var)
        if value is not None:
            return value
    if "services" in scoped:
        section_name = _text(scoped["services"], what=f"services in profile {profile!r}")
        section = services_section(files, section_name)
        if not section:
            raise ConfigurationError(
                f"The profile is configured to use the services section but the "
                f'"{section_name}" services configuration does not exist.'
            )
        service = section.get(service_id.lower().replace(" ", "_"))
        if service is not None:
            if not isinstance(service, Mapping):
                raise ConfigurationError(
                    f"{service_id} in [services {section_name}] must be a nested section "
                    f"('{service_id} =' followed by indented 'endpoint_url = ...')"
                )
            url = service.get("endpoint_url")
            if url:
                return _text(url, what=f"endpoint_url in [services {section_name}]")
    url = scoped.get("endpoint_url")
    if url:
        return _text(url, what=f"endpoint_url in profile {profile!r}")
    return None
