"""Declares fasthub's compiled extensions and build switches; pyproject.toml owns everything else."""

import os
import sys

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # pragma: no cover - pyproject's build requirements install Cython
    sys.exit("fasthub: building needs Cython (pip install cython), as pyproject.toml declares")


def greenlet_include():
    # greenlet ships greenlet.h inside its package directory; cimport "greenlet/greenlet.h" from there.
    import greenlet

    return os.path.dirname(os.path.dirname(os.path.abspath(greenlet.__file__)))


DEBUG = os.environ.get("FASTHUB_DEBUG_BUILD") == "1"

include_dirs = ["src/fasthub/core/includes", greenlet_include()]
macros = [("FASTHUB_DEBUG", "1")] if DEBUG else []
compile_args = ["-O0", "-g"] if DEBUG else ["-O2"]

directives = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "embedsignature": True,
}
if DEBUG:
    directives.update({"linetrace": True, "boundscheck": True, "wraparound": True})
    macros.append(("CYTHON_TRACE", "1"))


def ext(name):
    # A compiled module by its dotted name: the hub's in fasthub.core, the queues' and Event's in fasthub.sync,
    # the WSGI request path's in fasthub.web.wsgi.
    return Extension(
        name,
        [f"src/{name.replace('.', '/')}.pyx"],
        include_dirs=include_dirs,
        define_macros=macros,
        extra_compile_args=compile_args,
    )


setup(
    ext_modules=cythonize(
        [ext("fasthub.core._timers"), ext("fasthub.core._hub"), ext("fasthub.core._waitlist"),
         ext("fasthub.core._cancel"), ext("fasthub.core._greenthread"), ext("fasthub.core._gsocket"),
         ext("fasthub.sync._flag"), ext("fasthub.sync._queue"),
         ext("fasthub.web.wsgi._http"), ext("fasthub.web.wsgi._response"), ext("fasthub.web.wsgi._conn")],
        compiler_directives=directives,
        include_path=["src"],
        annotate=DEBUG,
    ),
)
