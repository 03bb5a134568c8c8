"""Task groups: green threads with an owner that waits for them and cancels them.

(The exception groups they raise are the builtin ones from CPython 3.11, and the ``exceptiongroup``
backport's on 3.10.)
"""

import sys

if sys.version_info >= (3, 11):
    BaseExceptionGroup = BaseExceptionGroup  # noqa: F821,PLW0127  (builtins, named here for 3.10)
    ExceptionGroup = ExceptionGroup  # noqa: F821,PLW0127
else:  # pragma: no cover - exercised by the 3.10 runs
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup

__all__ = ["ExceptionGroup", "BaseExceptionGroup"]
