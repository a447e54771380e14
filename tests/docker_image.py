"""The docker tests' image, built without a registry: a Debian root filesystem with Python, the project and a
golden checkpoint in it, imported into the local engine. Cached by content hash, so a second run costs nothing.

    .venv/bin/python tests/docker_image.py          # build (or find) it; prints its tag

Two layers, each cached on its own:
- the base, `convos-tui-test-base:<hash>`: `mmdebstrap --variant=minbase bookworm` with python3, from Debian's
  packages, `docker import`ed; its hash covers the package list and this file's BASE_VERSION;
- the image, `convos-tui-test:<hash>`: the base, the project's dependencies (`pip install --target`, wheels for
  CPython 3.11 like the base's) and its source, and a golden made by `golden init` whose pool key is a
  reference to the environment (`${CONVOS_POOL_API_KEY}`), and the identity's folder (/root/.convos) an
  anonymous volume, as a real image would keep it; its hash covers pyproject.toml and every source file.

Its bytecode is compiled once, in the image (else every container compiles the project and aiohttp again at
boot: 20 s for 10 containers at once on 2 cores). Its command runs the simulated gateway as a real one would run in a container: on port 18789, bound to every
interface of the container (the engine publishes it on the host's 127.0.0.1 only).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_VERSION = "1"
BASE_PACKAGES = ("python3",)
SUITE = "bookworm"
CACHE = Path.home() / ".cache" / "convos-tui-test-image"
CONTAINER_PORT = 18789
DOCKERFILE = f"""FROM {{base}}
COPY site /opt/site
COPY src /opt/convos-tui
COPY golden /root/.openclaw
VOLUME /root/.convos
RUN ["python3", "-m", "compileall", "-q", "-j", "0", "/opt/site", "/opt/convos-tui"]
ENV HOME=/root OPENCLAW_STATE_DIR=/root/.openclaw PYTHONPATH=/opt/convos-tui:/opt/site PYTHONDONTWRITEBYTECODE=1
CMD ["python3", "-m", "convos_tui.sim.instance", "gateway", "run", "--port", "{CONTAINER_PORT}", "--bind", "lan"]
"""


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def base_tag() -> str:
    return f"convos-tui-test-base:{_digest(BASE_VERSION.encode(), SUITE.encode(), ' '.join(BASE_PACKAGES).encode())}"


def image_tag() -> str:
    sources = sorted((ROOT / "convos_tui").rglob("*.py"))
    parts = [base_tag().encode(), DOCKERFILE.encode(), (ROOT / "pyproject.toml").read_bytes()]
    parts += [str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() for p in sources]
    return f"convos-tui-test:{_digest(*parts)}"


def _log(message: str) -> None:
    print(f"docker image: {message}", file=sys.stderr, flush=True)


def _has(client, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def build_base(client) -> str:
    tag = base_tag()
    if _has(client, tag):
        return tag
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"{tag.split(':')[1]}.tar"
    if not tarball.exists():
        if shutil.which("mmdebstrap") is None:
            raise RuntimeError("mmdebstrap is missing: apt-get install -y mmdebstrap")
        _log(f"mmdebstrap {SUITE} with {', '.join(BASE_PACKAGES)} (a minute or two, once)")
        partial = tarball.with_name(tarball.stem + ".partial.tar")  # mmdebstrap goes by the suffix
        subprocess.run(
            [
                "mmdebstrap",
                "--variant=minbase",
                "--quiet",
                f"--include={','.join(BASE_PACKAGES)}",
                "--dpkgopt=path-exclude=/usr/share/doc/*",
                "--dpkgopt=path-exclude=/usr/share/man/*",
                "--dpkgopt=path-exclude=/usr/share/locale/*",
                SUITE,
                str(partial),
            ],
            check=True,
        )
        partial.rename(tarball)
    _log(f"docker import {tarball.name} as {tag}")
    with open(tarball, "rb") as data:  # docker import, through the Engine API
        client.api.import_image_from_data(data.read(), repository=tag.split(":")[0], tag=tag.split(":")[1])
    return tag


def _site(wheels_for: str) -> Path:
    """The project's dependencies, installed once per pyproject.toml (its hash names the folder)."""
    site = CACHE / f"site-{wheels_for}"
    if not site.is_dir():
        _log("pip install --target (the project's dependencies, once per pyproject.toml)")
        partial = site.with_name(site.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-compile",
                "--only-binary=:all:",
                "--python-version=3.11",
                "--platform=manylinux2014_x86_64",
                "--platform=manylinux_2_17_x86_64",
                "--platform=manylinux_2_28_x86_64",
                "--implementation=cp",
                "--target",
                str(partial),
                *_dependencies(),
            ],
            check=True,
        )
        partial.rename(site)
    return site


def _dependencies() -> list[str]:
    import tomllib

    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def build(client=None) -> str:
    """The test image's tag, built if the engine does not have it yet."""
    import docker

    from convos_tui.instances.golden import CONFIG_FILE, init_golden, load_config, write_json

    client = client or docker.from_env()
    tag = image_tag()
    if _has(client, tag):
        return tag
    base = build_base(client)
    site = _site(_digest((ROOT / "pyproject.toml").read_bytes()))
    with tempfile.TemporaryDirectory(prefix="convos-test-image-") as tmp:
        context = Path(tmp)
        shutil.copytree(site, context / "site", symlinks=True)
        shutil.copytree(
            ROOT / "convos_tui", context / "src" / "convos_tui", ignore=shutil.ignore_patterns("__pycache__")
        )
        golden = context / "golden"
        init_golden(golden, env="dev")
        config = load_config(golden)
        config["channels"]["convos"]["poolApiKey"] = "${CONVOS_POOL_API_KEY}"  # given to each container
        config["gateway"]["bind"] = "lan"
        write_json(golden / CONFIG_FILE, config)
        (context / "Dockerfile").write_text(DOCKERFILE.format(base=base))
        _log(f"building {tag} on {base}")
        client.images.build(path=str(context), tag=tag, rm=True, forcerm=True)
    for old in client.images.list(name=tag.split(":")[0]):  # the images of older sources: not kept
        for name in old.tags:
            if name != tag:
                with contextlib.suppress(Exception):
                    client.images.remove(name)
    return tag


def tar_of(files: dict[str, bytes]) -> bytes:
    """A tar archive of these files (for put_archive in the tests)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps({"image": build()}))
