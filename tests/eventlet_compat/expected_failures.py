"""eventlet tests (that pass on the real eventlet) expected to fail on fasthub's eventlet alias,
each with a one-line reason. Ids are ``module.Class.test`` (or ``module.test``) as in eventlet's
tests/ directory. The list only shrinks: run.py fails when a listed test passes.
"""

FAILURES = {
}
