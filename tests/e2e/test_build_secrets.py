"""End to end: an image build behind a proxy that re-signs TLS, as this machine's is. The
base image trusts Debian's roots only, not the machine's re-signing CA, so PyPI fails
from inside it unless the CA reaches the build as the `build_ca_bundle` secret; the
index, with credentials, goes in as `build_index_url`. Neither may be found in the
image. Needs a Docker engine: without one these tests fail, they never skip."""

import base64
import contextlib
import os
import re
import secrets
import socket
import ssl
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from docker.models.images import Image

from ..conftest import TOOL_ENV
from .conftest import STANDIN_PYTHON_IMAGE, copier_copy, output_of, require_image

pytestmark = pytest.mark.e2e

HOST_CA_BUNDLE = Path(os.environ.get("HOST_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s+(.+?)\s+-----END CERTIFICATE-----", re.DOTALL
)
INDEX_HOST = "pypi.org"
# Where the build mounts the secrets and writes the combined bundle (with-build-secrets.sh).
SECRET_PATHS = ("run/secrets/", "run/build-ca/")


@dataclass(frozen=True)
class Builds:
    without_secrets: subprocess.CompletedProcess[str]
    with_secrets: subprocess.CompletedProcess[str]
    image: str
    index_token: str
    ca_bundle: bytes
    # A line of the PEM text of each CA that PyPI's certificate chains to here.
    machine_ca_lines: list[bytes]


def certificates(bundle: bytes) -> set[bytes]:
    """The base64 text of each certificate in a PEM bundle, without line breaks."""
    return {b"".join(block.split()) for block in PEM_BLOCK.findall(bundle)}


def verifies(certificate: bytes, host: str) -> bool:
    """Whether a TLS connection to host verifies with this one CA and no other."""
    context = ssl.create_default_context(cadata=base64.b64decode(certificate))
    try:
        with (
            socket.create_connection((host, 443), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (ssl.SSLError, OSError):
        return False


@pytest.fixture(scope="module")
def untrusting_base(engine: docker.DockerClient) -> Iterator[str]:
    """The Python stand-in with Debian's own CA bundle, as an official image has, and no
    SSL_CERT_FILE or PIP_CERT: it does not trust this machine's re-signing CA.

    Imported afresh, with a label of its own, so that no step of an earlier build is in
    the build cache: BuildKit leaves secrets out of cache keys, and a cached step would
    pass without them. UV_NO_CACHE makes uv download in this build too, whatever the
    build's shared uv cache already holds, so that its success shows uv trusted the CA."""
    require_image(engine, STANDIN_PYTHON_IMAGE)
    tag = f"slipway-untrusting-{secrets.token_hex(3)}:latest"
    source = engine.containers.run(
        STANDIN_PYTHON_IMAGE, ["update-ca-certificates", "--fresh"], detach=True
    )
    try:
        assert source.wait(timeout=120)["StatusCode"] == 0, source.logs().decode()
        changes = ["ENV LANG=C.UTF-8", "ENV UV_NO_CACHE=1", f"LABEL slipway.test={tag}"]
        exported = subprocess.Popen(["docker", "export", str(source.id)], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "import", *(f"--change={change}" for change in changes), "-", tag],
            stdin=exported.stdout,
            capture_output=True,
            check=True,
            timeout=300,
        )
        assert exported.wait(timeout=60) == 0
    finally:
        source.remove(force=True)
    yield tag
    engine.images.remove(tag, force=True)


@pytest.fixture(scope="module")
def builds(
    engine: docker.DockerClient, untrusting_base: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Builds]:
    """The core project built FROM the untrusting base: first without the secrets, then
    with the host's CA bundle and an index URL carrying a credential."""
    project = tmp_path_factory.mktemp("build-secrets") / "orders-service"
    result = copier_copy(project, {}, timeout=600, database="none")
    assert result.returncode == 0, f"copier copy failed:\n{output_of(result)}"
    name = f"slipway-secrets-{secrets.token_hex(3)}"
    image = f"{name}:latest"
    token = secrets.token_hex(12)
    env = {
        **os.environ,
        **TOOL_ENV,
        "PYTHON_IMAGE": untrusting_base,
        "COMPOSE_PROJECT_NAME": name,
        "API_IMAGE": image,
    }
    # The caller's own build settings would decide the outcome; neither build gets them.
    for variable in ("BUILD_CA_BUNDLE", "BUILD_INDEX_URL"):
        env.pop(variable, None)

    def build(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "compose", "--progress=plain", "build"],
            cwd=project,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    host_bundle = HOST_CA_BUNDLE.read_bytes()
    base_bundle = engine.containers.run(
        untrusting_base, ["cat", "/etc/ssl/certs/ca-certificates.crt"], remove=True
    )
    # The test's premise: the CA that re-signs PyPI here is the host's, not the base's.
    candidates = certificates(host_bundle) - certificates(base_bundle)
    machine_cas = [ca for ca in candidates if verifies(ca, INDEX_HOST)]
    assert machine_cas, (
        f"no CA of {HOST_CA_BUNDLE} that the base image lacks verifies {INDEX_HOST}: this test"
        " needs outbound TLS re-signed by a CA only the host trusts, as on Slipway's machines"
    )
    try:
        without = build({})
        with_secrets = build(
            {
                "BUILD_CA_BUNDLE": str(HOST_CA_BUNDLE),
                "BUILD_INDEX_URL": f"https://slipway:{token}@{INDEX_HOST}/simple",
            }
        )
        # PEM text breaks lines every 64 characters; the first is much like any certificate's.
        lines = [ca[64:128] for ca in machine_cas]
        yield Builds(without, with_secrets, image, token, host_bundle, lines)
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):  # the build failed
            engine.images.remove(image, force=True)


def test_without_the_ca_the_build_fails_on_tls(builds: Builds) -> None:
    result = builds.without_secrets
    assert result.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in result.stdout + result.stderr


def test_with_the_ca_as_a_secret_pip_and_uv_download_through_the_index(builds: Builds) -> None:
    result = builds.with_secrets
    output = result.stdout + result.stderr
    assert result.returncode == 0, output_of(result)
    # pip names the index it uses, with the password masked.
    assert "Looking in indexes: https://slipway:****@pypi.org/simple" in output
    # uv downloaded the locked packages (UV_NO_CACHE): its TLS trusted the CA too.
    assert re.search(r"Prepared \d+ packages", output), output


def layer_files(image: Image, saved: Path) -> Iterator[tuple[str, bytes]]:
    """(path, content) of every regular file in every layer of the image, which is saved
    to `saved` first. Each layer is a tar file in the saved tar, whether Docker lays it out
    as <id>/layer.tar or, as newer engines do, as an OCI blob beside JSON ones."""
    with saved.open("wb") as out:
        for chunk in image.save():
            out.write(chunk)
    with tarfile.open(saved) as archive:
        for entry in archive.getmembers():
            blob = archive.extractfile(entry) if entry.isfile() else None
            if blob is None or not tarfile.is_tarfile(blob):  # a manifest, a config
                continue
            blob.seek(0)
            with tarfile.open(fileobj=blob) as layer:
                for member in layer.getmembers():
                    content = layer.extractfile(member) if member.isfile() else None
                    if content is not None:
                        yield member.name, content.read()


def test_no_layer_holds_the_ca_or_the_index_credential(
    engine: docker.DockerClient, builds: Builds, tmp_path: Path
) -> None:
    assert builds.with_secrets.returncode == 0, output_of(builds.with_secrets)
    # The secret as it was given, the bundle it went into (which holds it whole), the CA
    # itself, and the index's credential.
    needles = {
        "the CA bundle given": builds.ca_bundle,
        **{f"the machine's CA ({line!r})": line for line in builds.machine_ca_lines},
        "the index credential": builds.index_token.encode(),
    }
    secret_files, found, venv_files = [], [], 0
    for path, content in layer_files(engine.images.get(builds.image), tmp_path / "image.tar"):
        path = path.removeprefix("./")
        venv_files += path.startswith("app/.venv/")
        if path.startswith(SECRET_PATHS):
            secret_files.append(path)
        found += [f"{path}: {name}" for name, needle in needles.items() if needle in content]
    assert venv_files > 1000  # the layers were read: the environment the build made is there
    assert secret_files == []
    assert found == []


def test_the_image_config_names_no_ca_or_index(engine: docker.DockerClient, builds: Builds) -> None:
    assert builds.with_secrets.returncode == 0, output_of(builds.with_secrets)
    image = engine.images.get(builds.image)
    names = {entry.split("=", 1)[0] for entry in image.attrs["Config"]["Env"]}
    assert not names & {"SSL_CERT_FILE", "PIP_CERT", "PIP_INDEX_URL", "UV_DEFAULT_INDEX"}
    history = " ".join(step.get("CreatedBy", "") for step in image.history())
    assert builds.index_token not in history
