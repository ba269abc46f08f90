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
    if own:  # a name that cannot be evaluated fails the import here, and so every test
        hints = typing.get_type_hints(obj, include_extras=True)
        obj.__annotations__ = {name: hints[name] for name in own}
    if attrs.has(obj):
        attrs.resolve_types(obj)
    obj.__module__ = module
