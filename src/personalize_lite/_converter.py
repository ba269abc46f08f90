"""The one cattrs converter: JSON 1.1 wire shapes <-> the attrs models.

* camelCase wire names <-> snake_case fields, derived in one place (:func:`camel`);
* timestamps: epoch seconds (int, float, numeric strings), ISO-8601 and RFC 7231 strings become
  **aware UTC** datetimes whatever the local zone; unstructuring writes epoch seconds
  (the wire form) or ISO-8601 (the AWS CLI's output form);
* scalars are type-checked: ``"5"`` is not an int and ``5`` is not a string; a JSON number
  with an integral value (``25.0``) is an int; doubles also take Smithy's ``"NaN"``,
  ``"Infinity"`` and ``"-Infinity"`` strings (and write non-finite values back that way);
* ``null`` in a dense map (every map of this model) drops that key, as Smithy asks of
  clients; ``null`` for a member is the member's absence;
* unknown keys are tolerated (AWS adds members); ``strict=True`` forbids them, for
  drift tests;
* every structuring failure becomes :class:`ResponseParseError` naming the field path.

Hooks are generated once per converter, the first time each model class is met.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from types import NoneType, UnionType
from typing import Any, Final, Literal, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import (
    make_dict_structure_fn,
    make_dict_unstructure_fn,
    make_mapping_structure_fn,
    override,
)
from cattrs.v import format_exception

from ._errors import ResponseParseError
from ._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobSummary,
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)

__all__ = [
    "camel",
    "default_converter",
    "make_converter",
    "parse_timestamp",
    "structure_job",
    "structure_model",
]

T = TypeVar("T")

_MODELS: tuple[type, ...] = (
    S3DataConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobConfig,
    FieldsForThemeGeneration,
    ThemeGenerationConfig,
    BatchInferenceJob,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?([0-5]\d))?"
)


def camel(name: str) -> str:
    """``batch_inference_job_arn`` -> ``batchInferenceJobArn``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _from_epoch(seconds: float) -> datetime:
    # Only floats can be non-finite; math.isfinite() overflows on ints beyond float range.
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError(f"timestamp {seconds!r} is not finite")
    # Same arithmetic as datetime.fromtimestamp, without its platform range limits.
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        try:
            return _EPOCH + timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError(f"timestamp {seconds!r:.40} is out of range") from None


def _from_http_date(text: str, original: str) -> datetime:
    """An RFC 7231 date (``Tue, 29 Apr 2014 18:30:38 GMT``), as botocore also accepts."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        raise ValueError(f"unrecognised timestamp {original[:64]!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_timestamp(value: object) -> datetime:
    """Epoch seconds or an ISO-8601 string -> aware UTC datetime.

    ``TypeError`` for other types, ``ValueError`` for unusable values.
    """
    if isinstance(value, bool):
        raise TypeError("expected a timestamp, got a boolean")
    if isinstance(value, int | float):
        return _from_epoch(float(value) if isinstance(value, float) else value)
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    text = value.strip()
    if re.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", text):
        return _from_epoch(float(text))
    match = _ISO.fullmatch(text)
    if match is None:
        return _from_http_date(text, value)
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = match.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    tz = timezone.utc
    if sign is not None and zulu is None:
        delta = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(delta if sign == "+" else -delta)
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        )
    except ValueError as exc:
        raise ValueError(f"invalid timestamp {value[:64]!r}: {exc}") from None
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past datetime.max in UTC
        raise ValueError(f"timestamp {value[:64]!r} is out of range") from None


def _object_hook(fn: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    """Reject a non-object where a structure belongs, at that member's own path.

    cattrs' generated hooks index into whatever they get: ``"config"`` where an object
    belongs silently became an all-``None`` object (``"member" in "config"`` is a
    substring test), and a list or number was reported at the first child's path.
    """

    def hook(value: Any, type_: Any) -> T:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return fn(value, type_)

    return hook


#: Epoch seconds from 1970 up to (not including) the year 3000: within them
#: ``datetime.fromtimestamp`` converts on every platform, so a JSON int or float there
#: takes the one-frame path below; the result is the one :func:`parse_timestamp` gives.
_FAST_EPOCH_MAX: Final = 32503680000
_UTC: Final = timezone.utc
_fromtimestamp = datetime.fromtimestamp


def _optional_datetime(value: Any, _: Any) -> datetime | None:
    """A timestamp member (``datetime | None``, every one in the models) in one frame:
    ``None`` stays ``None``; epoch seconds that a JSON reply carries (an ``int`` or a
    ``float``, 1970-2999) convert here; anything else (strings, other ranges, non-finite
    values, booleans) goes through :func:`parse_timestamp`, with its results and errors."""
    if value is None:
        return None
    kind = type(value)
    if (kind is float or kind is int) and 0 <= value < _FAST_EPOCH_MAX:
        try:
            return _fromtimestamp(value, _UTC)
        except (OverflowError, OSError, ValueError):  # pragma: no cover - a platform's limit
            pass
    return parse_timestamp(value)


def _structure_datetime(value: Any, type_: Any) -> datetime:
    """A required ``datetime``: :func:`_optional_datetime`, where ``None`` is refused
    (by :func:`parse_timestamp`, with its message)."""
    return parse_timestamp(value) if value is None else _optional_datetime(value, type_)  # type: ignore[return-value]


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: Any, _: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _strict_int(value: Any, _: type) -> int:
    if type(value) is int:
        return value
    # JSON has one number type: 25.0 and 2.5e1 are the integer 25 (and so are they to
    # botocore, which passes them through); 25.5, NaN and strings are not integers.
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise TypeError(f"expected an integer, got {value!r:.40}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return int(value)


#: Smithy's JSON protocols write the non-finite doubles as these strings.
_NON_FINITE: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _strict_float(value: Any, _: type) -> float:
    if type(value) is float:
        return value
    if isinstance(value, str):
        special = _NON_FINITE.get(value)
        if special is None:
            raise TypeError('expected a number (or "NaN", "Infinity", "-Infinity"), got a string')
        return special
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _unstructure_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _is_dense_map(type_: Any) -> bool:
    return get_origin(type_) is dict


def _dense_map_factory(
    conv: cattrs.Converter, *, detailed: bool
) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """Maps without ``@sparse`` (all of Personalize's): a ``null`` value drops its key.

    Smithy asks clients to tolerate a null in a dense map by dropping the entry; botocore
    keeps it as ``None``, which ``dict[str, float]`` cannot hold. The fast hook filters in
    the one comprehension that builds the map (no cost over cattrs' own); the detailed
    twin filters, then lets cattrs check the rest and name the failing key.
    """

    def factory(type_: Any) -> Callable[[Any, Any], Any]:
        if detailed:
            inner = make_mapping_structure_fn(type_, conv, detailed_validation=True)

            def explain(value: Any, _: Any) -> Any:
                if isinstance(value, dict) and None in value.values():
                    value = {key: item for key, item in value.items() if item is not None}
                return inner(value, type_)

            return explain
        key_type, value_type = get_args(type_)
        key_hook = conv.get_structure_hook(key_type)
        value_hook = conv.get_structure_hook(value_type)

        def fast(value: Any, _: Any) -> Any:
            # Anything but a JSON object has no .items(): the twin then says what it was.
            return {
                key_hook(key, key_type): value_hook(item, value_type)
                for key, item in value.items()
                if item is not None
            }

        return fast

    return factory


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) in (Union, UnionType) and len(args) == 2 and NoneType in args


def _optional_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """``X | None`` fields: ``None`` stays ``None``, anything else goes to X's hook.

    cattrs' generic union hook looks X's hook up again on every value (it was the
    largest single cost of structuring a job); this resolves it once per type.
    """

    def factory(type_: Any) -> Callable[[Any, Any], Any]:
        inner_type = next(arg for arg in get_args(type_) if arg is not NoneType)
        if inner_type is str:
            return _optional_str  # most members: one call, not two
        if inner_type is datetime:
            return _optional_datetime  # every timestamp: one call, not four
        inner = conv.get_structure_hook(inner_type)

        def hook(value: Any, _: Any) -> Any:
            return None if value is None else inner(value, inner_type)

        return hook

    return factory


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def _epoch(value: datetime) -> float | int:
    seconds = (value - _EPOCH).total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


class JobConverter(cattrs.Converter):
    """A converter whose generated hooks skip cattrs' detailed validation (that halves
    the cost of structuring a job), with a twin that has it, built on the first failure,
    to say which field failed and why. Both produce the same values."""

    __slots__ = ("_explainer", "_settings")

    def __init__(self, *, strict: bool, timestamps: Literal["epoch", "iso8601"]) -> None:
        super().__init__(forbid_extra_keys=strict)
        self._settings = (strict, timestamps)
        self._explainer: cattrs.Converter | None = None

    def explainer(self) -> cattrs.Converter:
        """The detailed-validation twin (its errors carry field paths)."""
        if self._explainer is None:
            strict, timestamps = self._settings
            self._explainer = _configure(
                cattrs.Converter(forbid_extra_keys=strict), strict, timestamps, detailed=True
            )
        return self._explainer


def make_converter(
    *, strict: bool = False, timestamps: Literal["epoch", "iso8601"] = "epoch"
) -> JobConverter:
    """Build a converter. ``strict`` forbids unknown keys (drift tests).

    ``timestamps`` picks how datetimes unstructure: epoch seconds (the wire) or ISO-8601
    (what ``aws personalize describe-batch-inference-job`` prints).
    """
    conv = JobConverter(strict=strict, timestamps=timestamps)
    return _configure(conv, strict, timestamps, detailed=False)


C = TypeVar("C", bound=cattrs.Converter)


def _configure(
    conv: C, strict: bool, timestamps: Literal["epoch", "iso8601"], *, detailed: bool
) -> C:
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook_factory(_is_dense_map, _dense_map_factory(conv, detailed=detailed))
    conv.register_structure_hook_factory(_is_optional, _optional_factory(conv))
    conv.register_unstructure_hook(datetime, _iso if timestamps == "iso8601" else _epoch)
    conv.register_unstructure_hook(float, _unstructure_float)
    # Factories, not hooks: cattrs generates (and compiles) each function the first time
    # its class is met, so a process that only reads jobs never pays for unstructuring.
    conv.register_structure_hook_factory(
        _is_model, _structure_factory(conv, strict=strict, detailed=detailed)
    )
    conv.register_unstructure_hook_factory(_is_model, _unstructure_factory(conv))
    return conv


def _is_model(type_: Any) -> bool:
    return type_ in _MODELS


def _renames(cls: type) -> dict[str, Any]:
    return {f.name: override(rename=camel(f.name)) for f in attrs.fields(cls)}


def _structure_factory(
    conv: cattrs.Converter, *, strict: bool, detailed: bool
) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        if not strict and not detailed and _all_optional(cls):
            return _optional_members_fn(cls, conv)
        return _object_hook(
            make_dict_structure_fn(
                cls,
                conv,
                _cattrs_forbid_extra_keys=strict,
                _cattrs_detailed_validation=detailed,
                **_renames(cls),
            )
        )

    return factory


def _all_optional(cls: Any) -> bool:
    """Whether every member of ``cls`` is ``X | None`` defaulting to ``None`` (the job,
    the summary, the config): then an absent member and a ``null`` one both give
    ``None``, and a structure function may read every member with ``dict.get``."""
    attrs.resolve_types(cls)
    return all(
        field.init and field.default is None and _is_optional(field.type)
        for field in attrs.fields(cls)
    )


def _slot_setters(cls: Any) -> list[Callable[[Any, Any], None]] | None:
    """Each member's slot setter (its member descriptor's ``__set__``), in field order,
    when building ``cls`` needs nothing but its slots filled: a slotted attrs class with
    attrs' own ``__init__`` and ``object.__new__``, whose slots are exactly its members
    (and ``__weakref__``: no cached-hash slot, no ``__dict__``), whose members have no
    validator or converter, with no ``__attrs_pre_init__`` or ``__attrs_post_init__``.
    Then ``__init__`` would only store each argument through ``object.__setattr__``;
    setting the slots directly gives the same object, at about half the cost (a listing
    builds one summary per job). None: call the class."""
    if (
        cls.__new__ is not object.__new__
        or not getattr(cls.__init__, "__code__", None)
        or not cls.__init__.__code__.co_filename.startswith("<attrs generated")
        or any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__"))
    ):
        return None
    slots: set[str] = set()
    for klass in cls.__mro__[:-1]:  # every class but object
        if "__slots__" not in klass.__dict__:
            return None  # instances have a __dict__
        declared = klass.__dict__["__slots__"]
        slots.update((declared,) if isinstance(declared, str) else declared)
    fields = attrs.fields(cls)
    if slots - {"__weakref__"} != {field.name for field in fields}:
        return None
    setters = []
    for field in fields:
        slot: Any = getattr(cls, field.name, None)
        if field.validator is not None or field.converter is not None:
            return None
        if type(slot).__name__ != "member_descriptor":
            return None
        setters.append(slot.__set__)
    return setters


def _optional_members_fn(cls: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """The tolerant converter's structure function for a class of optional members
    (:func:`_all_optional`), in one frame.

    It gives what cattrs' generated function (under :func:`_object_hook`) gives: for
    each member, ``None`` when the key is absent or ``null``, else the member's hook on
    the value (a ``str | None`` member is checked inline, as :func:`_optional_str`
    checks it; a ``datetime | None`` one takes :func:`_optional_datetime`'s epoch path
    inline). Unknown keys are ignored (this converter tolerates them). On bad input it
    raises as those hooks raise; :func:`_structure` then asks the detailed twin, which
    names the member (``tests/test_converter.py`` compares the two). The object is built
    by filling its slots (:func:`_slot_setters`) where that is all ``__init__`` does.
    """
    namespace: dict[str, Any] = {
        "cls": cls,
        "_new": object.__new__,
        "_optional_str": _optional_str,
        "_optional_datetime": _optional_datetime,
        "_fromtimestamp": _fromtimestamp,
        "_UTC": _UTC,
        "_FAST_EPOCH_MAX": _FAST_EPOCH_MAX,
    }
    lines = [
        "def structure(o, _=None):",
        "    if not isinstance(o, dict):",
        "        raise TypeError('expected an object, got ' + type(o).__name__)",
        "    get = o.get",
    ]
    fields = attrs.fields(cls)
    for index, field in enumerate(fields):
        wire = camel(field.name)
        inner = next(arg for arg in get_args(field.type) if arg is not NoneType)
        value = f"v{index}"
        lines.append(f"    {value} = get({wire!r})")
        if inner is str:
            lines.append(f"    if {value} is not None and type({value}) is not str:")
            lines.append(f"        {value} = _optional_str({value}, None)")
        elif inner is datetime:
            # _optional_datetime's epoch path, inline (a reply carries epoch seconds);
            # anything else goes to it whole. The fast path cannot raise for 1970-2999
            # on the platforms we run on; if it ever did, the detailed twin answers.
            lines.append(f"    if {value} is not None:")
            lines.append(
                f"        {value} = _fromtimestamp({value}, _UTC) if (type({value}) is float"
                f" or type({value}) is int) and 0 <= {value} < _FAST_EPOCH_MAX"
                f" else _optional_datetime({value}, None)"
            )
        else:
            namespace[f"hook{index}"] = conv.get_structure_hook(field.type)
            namespace[f"type{index}"] = field.type
            lines.append(f"    if {value} is not None:")
            lines.append(f"        {value} = hook{index}({value}, type{index})")
    setters = _slot_setters(cls)
    if setters is None:
        arguments = ", ".join(f"{field.alias}=v{index}" for index, field in enumerate(fields))
        lines.append(f"    return cls({arguments})")
    else:
        lines.append("    self = _new(cls)")
        for index, setter in enumerate(setters):
            namespace[f"set{index}"] = setter
            lines.append(f"    set{index}(self, v{index})")
        lines.append("    return self")
    code = compile("\n".join(lines), f"<personalize_lite structure {cls.__qualname__}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own source, built from the model's fields
    return cast(Callable[[Any, Any], Any], namespace["structure"])


def _unstructure_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    def factory(cls: Any) -> Callable[[Any], Any]:
        omits = {
            f.name: override(rename=camel(f.name), omit_if_default=True)
            for f in attrs.fields(cls)
            if f.default is None
        }
        return make_dict_unstructure_fn(cls, conv, **{**_renames(cls), **omits})

    return factory


_DEFAULT: JobConverter | None = None


def default_converter() -> JobConverter:
    """The shared tolerant converter, built on first use."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = make_converter()
    return _DEFAULT


def _leaf_message(exc: BaseException, type_: Any) -> str:
    if (
        isinstance(exc, TypeError | ValueError)
        and str(exc)
        and type(exc) in (TypeError, ValueError)
    ):
        return str(exc)
    return format_exception(exc, type_)


def _wire_path(path: str) -> str:
    """``job_input.s3_data_source['k']`` -> ``jobInput.s3DataSource['k']``."""
    parts = []
    for part in path.split("."):
        name, bracket, rest = part.partition("[")
        parts.append(camel(name) + bracket + rest)
    return ".".join(parts)


def _describe(exc: Exception) -> tuple[str, str]:
    """(wire field path, message) for the first leaf error of a cattrs failure."""
    messages = cattrs.transform_error(exc, path="$", format_exception=_leaf_message)
    first = messages[0] if messages else str(exc)
    text, _, where = first.rpartition(" @ ")
    if not text:
        text, where = first, "$"
    return _wire_path(where.removeprefix("$").removeprefix(".")), text


def structure_job(
    payload: object,
    *,
    converter: cattrs.Converter | None = None,
    request_id: str | None = None,
) -> BatchInferenceJob:
    """Structure a decoded DescribeBatchInferenceJob reply (``{"batchInferenceJob": {...}}``)."""
    if not isinstance(payload, dict):
        raise ResponseParseError(
            f"expected a JSON object, got {type(payload).__name__}", request_id=request_id
        )
    job = payload.get("batchInferenceJob")
    if not isinstance(job, dict):
        what = "missing" if job is None else f"a {type(job).__name__}, not an object"
        raise ResponseParseError(
            f"reply has no batchInferenceJob object ({what})",
            path="batchInferenceJob",
            request_id=request_id,
        )
    conv = converter or default_converter()
    return _structure(conv, job, BatchInferenceJob, "batchInferenceJob", request_id)


def _structure(
    conv: cattrs.Converter, data: object, cls: type[T], root: str, request_id: str | None
) -> T:
    if isinstance(conv, JobConverter):
        try:
            return conv.structure(data, cls)
        except Exception:  # noqa: BLE001 - the detailed twin below says where and why
            conv = conv.explainer()
    return _explain(conv, data, cls, root, request_id)


def _explain(
    conv: cattrs.Converter, data: object, cls: type[T], root: str, request_id: str | None
) -> T:
    try:
        return conv.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        where, text = _describe(exc)
        path = f"{root}.{where}" if where else root
        raise ResponseParseError(
            f"cannot parse {path}: {text}", path=path, request_id=request_id
        ) from exc


# Models added after the first operation: hooks are generated by the same factories
# (renames, strict scalars, aware UTC datetimes) as for BatchInferenceJob.
_MODELS = (*_MODELS, BatchInferenceJobSummary)


def structure_model(
    data: object,
    cls: type[T],
    *,
    path: str,
    converter: cattrs.Converter | None = None,
    request_id: str | None = None,
) -> T:
    """Structure one wire object found at ``path`` of a reply (for example
    ``batchInferenceJobs[3]``) into ``cls``; failures raise :class:`ResponseParseError`
    naming the field path."""
    conv = converter or default_converter()
    return _structure(conv, data, cls, path, request_id)
