"""A private Mosquitto for development, started by ``bin/run`` (through ``bin/dev-broker``).

When nothing answers on ``MQTT_BROKER:MQTT_PORT`` (read as the settings read
them: the environment, then ``.env``) and that address is this machine, it
runs Mosquitto with the delivery settings of ``deploy/mosquitto.conf`` (not
its access section: no passwords, no ACLs) and a listener on the loopback
address that accepts anonymous clients, until SIGTERM/SIGINT; then it stops
the broker and removes its temporary folder. Development only: a production
broker refuses anonymous clients (CONTRACT §2).

Exit status: 0 when it ran and stopped, or when no broker was needed; 1 when
one was needed and could not be started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import environ

from autoforge.broker_config import development_config
from autoforge.config import EnvReader, SettingError


def stop_process(process: subprocess.Popen, *, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
HOW_TO_GET_IT = (
    "Mosquitto is not installed and could not be installed here: install it "
    "(Debian/Ubuntu: sudo apt-get install mosquitto; others: https://mosquitto.org/download/) "
    "or set MQTT_BROKER/MQTT_PORT to a running broker."
)
START_TIMEOUT_SECONDS = 10.0
WAIT_SLICE_SECONDS = 0.2


def broker_address(environ_map: Mapping[str, str]) -> tuple[str, int]:
    """``(MQTT_BROKER, MQTT_PORT)`` with the defaults and checks of ``settings.py``."""
    env = EnvReader(environ_map)
    host = env.str("MQTT_BROKER", "localhost") or "localhost"
    return host, env.int("MQTT_PORT", 1883, minimum=1, maximum=65535)


def is_this_machine(host: str) -> bool:
    return host.lower() in LOCAL_HOSTS


def listen_address(host: str) -> str:
    """The loopback address to listen on: IPv6 only when the broker is named ``::1``."""
    return "::1" if host.strip("[]") == "::1" else "127.0.0.1"


def broker_answers(host: str, port: int, *, timeout: float = 1.0) -> bool:
    """True if something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=timeout):
            return True
    except OSError:
        return False


def broker_config(*, port: int, address: str, workdir: Path, as_root: bool) -> str:
    """Delivery settings as shipped, anonymous clients on ``address:port``, data in ``workdir``."""
    return development_config(port=port, address=address, workdir=workdir, as_root=as_root)


def mosquitto_binary() -> str | None:
    """Where ``mosquitto`` is (often /usr/sbin, outside a user's PATH), or None."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None


def install_mosquitto() -> str | None:
    """Install Mosquitto with apt-get where that is possible (root, or sudo without a
    password); its path, or None."""
    if not shutil.which("apt-get"):
        return None
    if os.getuid() == 0:
        sudo: list[str] = []
    elif (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    ):
        sudo = ["sudo", "-n"]
    else:
        return None
    print("Installing Mosquitto with apt-get...", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "mosquitto"]):
        if subprocess.run([*sudo, *command], env=env, stdout=subprocess.DEVNULL).returncode:
            return None
    return mosquitto_binary()


def _run_quietly(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


class DevBroker:
    """One Mosquitto process with a generated configuration in a temporary folder."""

    def __init__(self, binary: str, *, host: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self.address = listen_address(host)
        self.workdir = Path(tempfile.mkdtemp(prefix="autoforge-broker-"))
        self.log_path = self.workdir / "mosquitto.log"
        self.conf_path = self.workdir / "mosquitto.conf"
        self.conf_path.write_text(
            broker_config(
                port=port, address=self.address, workdir=self.workdir, as_root=os.getuid() == 0
            )
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it and wait until it listens; RuntimeError with its log if it does not."""
        with self.log_path.open("ab") as log:
            # A session of its own: Ctrl-C in bin/run's terminal reaches us, not
            # the broker, so the ingest can finish before the broker stops.
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.conf_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not broker_answers(self.address, self.port, timeout=0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log_tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"Mosquitto did not start:\n{log_tail}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 10 s) and remove its folder."""
        if self.running:
            assert self.process is not None
            stop_process(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def warning_banner(address: str, port: int) -> str:
    rule = "=" * 78
    return (
        f"{rule}\n"
        f"  DEVELOPMENT MQTT BROKER: a private Mosquitto on {address}:{port}\n"
        f"  It accepts ANONYMOUS clients (no username, no password), on {address} only.\n"
        "  Any local process may publish readings and answers for ANY device id.\n"
        "  For development only: a production broker uses deploy/mosquitto.conf with\n"
        "  device credentials and refuses anonymous clients (docs/security.md).\n"
        f"{rule}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--ready-file", type=Path, help="created once the broker listens (or none is needed)"
    )
    args = parser.parse_args(argv)

    def ready() -> None:
        if args.ready_file:
            args.ready_file.touch()

    environ.Env.read_env(BASE_DIR / ".env")  # never overrides the real environment
    try:
        host, port = broker_address(os.environ)
    except SettingError as error:
        print(f"bin/dev-broker: {error}", file=sys.stderr)
        return 1
    if broker_answers(host, port):
        print(f"A broker answers on {host}:{port}: using it.", file=sys.stderr)
        ready()
        return 0
    if not is_this_machine(host):
        print(
            f"No broker answers on {host}:{port}, which is not this machine: "
            "the ingest retries until it does.",
            file=sys.stderr,
        )
        ready()
        return 0
    binary = mosquitto_binary() or install_mosquitto()
    if binary and broker_answers(host, port):  # the package started its own service
        print(f"A broker answers on {host}:{port}: using it.", file=sys.stderr)
        ready()
        return 0
    if not binary:
        print(HOW_TO_GET_IT, file=sys.stderr)
        return 1

    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    # bin/run starts us in the background, where the shell ignores SIGINT:
    # keep ignoring it, so that Ctrl-C stops the ingest first and bin/run then
    # stops the broker (SIGTERM) after it.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, on_signal)
    broker = DevBroker(binary, host=host, port=port)
    try:
        broker.start()
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    print(warning_banner(broker.address, port), file=sys.stderr, flush=True)
    ready()
    try:
        while not stopping and broker.running:
            time.sleep(WAIT_SLICE_SECONDS)
    finally:
        died = not broker.running
        log_tail = broker.log_tail()
        broker.stop()
    if died and not stopping:
        print(f"The development broker stopped:\n{log_tail}", file=sys.stderr)
        return 1
    print("Stopped the development broker.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
