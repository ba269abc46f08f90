"""Give the re-exported classes their public path, as httpx does in its ``__init__``.

``personalize_lite.Credentials`` rather than ``personalize_lite.credentials._base.Credentials``
in tracebacks, class reprs, generated docs and pickles.
"""

from __future__ import annotations

import inspect
import typing

import attrs

__all__ = ["publish"]


def publish(obj: object, module: str) -> None:
    """Set ``obj.__module__`` to ``module`` when ``obj`` is a class defined elsewhere.

    String annotations (``from __future__ import annotations``) are evaluated first, in
    the module that wrote them: ``typing.get_type_hints`` (and so cattrs, which resolves
    attrs fields with it on first use) looks names up in ``sys.modules[cls.__module__]``,
    which after the rename is the public package, where ``datetime`` and the private
    helpers are not defined.
    """
    if not isinstance(obj, type) or obj.__module__ == module:
        return
    own = inspect.get_annotations(obj)
    if own:
        try:
            hints = typing.get_type_hints(obj, include_extras=True)
        except TypeError:  # the clients' ClassVar[staticmethod[...]] never evaluates (3.11)
            hints = {}
        if hints:
            obj.__annotations__ = {name: hints.get(name, value) for name, value in own.items()}
    if attrs.has(obj):
        attrs.resolve_types(obj)
    obj.__module__ = module
