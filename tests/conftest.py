"""Every test runs on a fresh hub, once per readiness backend, and fails if the hub reported an
exception the test did not claim with the ``hub_errors`` fixture."""

import shutil
import subprocess
import sys

import pytest

from fasthub.core._hub import Hub, set_hub, _drop_hub

BACKENDS = ["epoll", "poll"] if sys.platform.startswith("linux") else ["kqueue", "poll"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "one_backend: the test does not depend on the readiness backend; run it once")


def pytest_collection_modifyitems(config, items):
    # Tests marked one_backend run with the first backend only; the other runs are deselected (not
    # skipped), so the summary stays readable.
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("hub") if callspec is not None else None
        if item.get_closest_marker("one_backend") and param not in (None, BACKENDS[0]):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class HubErrors:
    """Exceptions the hub reported during a test; take() claims them so the test does not fail."""

    def __init__(self):
        self.errors = []

    def __call__(self, context, exc_type, exc, tb):
        self.errors.append((context, exc))

    def take(self):
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture(params=BACKENDS, autouse=True)
def hub(request):
    h = Hub(request.param)
    set_hub(h)
    errors = HubErrors()
    h.error_handler = errors
    request.node._hub_errors = errors
    yield h
    _drop_hub()
    h.destroy()
    if errors.errors:
        pytest.fail(f"the hub reported unexpected exceptions: {errors.errors!r}")


@pytest.fixture
def hub_errors(request, hub):
    """The list of exceptions the hub reported in this test; call take() to claim them."""
    return request.node._hub_errors


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A directory with a test CA (ca.pem), a certificate for localhost/127.0.0.1 (server.pem,
    server.key) and one for other.test (other.pem, other.key), made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.fail("making test certificates needs the openssl CLI (apt-get install openssl)")
    d = tmp_path_factory.mktemp("certs")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
             "-subj", "/CN=fasthub test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for name, san in (("server", "DNS:localhost,IP:127.0.0.1"), ("other", "DNS:other.test")):
        (d / f"{name}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "3650",
                 "-extfile", f"{name}.ext", cwd=d)
    return d
