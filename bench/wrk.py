"""Running wrk (Debian's package) and reading what it prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

THREADS, CONNECTIONS = 2, 32
SAVE_SCRIPT = Path(__file__).with_name("save.lua")


@dataclass
class WrkResult:
    requests_per_second: float
    requests: int
    latency_avg_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    output: str = ""


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing (bench only, not CI)."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit("wrk is not installed: install Debian's wrk package (apt-get install "
                         "-y wrk) as root.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("Installing wrk with apt-get ...", flush=True)
    install = [apt, "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:  # noqa: S603
        subprocess.run([apt, "update", "-q"], env=env, check=True)  # noqa: S603
        subprocess.run(install, env=env, check=True)  # noqa: S603
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed.")
    return found


def version(binary: str) -> str:
    result = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "wrk"


def run(binary: str, url: str, seconds: float, *, headers: dict[str, str] | None = None,
        script: Path | None = None, script_args: tuple[str, ...] = ()) -> WrkResult:
    cmd = [binary, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
           "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False,  # noqa: S603
                            timeout=seconds + 120)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    return parse(result.stdout)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s|m)\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m)\b",
                        output)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\b", output, re.MULTILINE)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    statuses = {}
    status_line = re.search(r"^STATUS(.*)$", output, re.MULTILINE)
    if status_line:
        for pair in status_line.group(1).split():
            code, count = pair.split("=")
            statuses[int(code)] = int(count)
    if not rps or not total:
        raise RuntimeError("could not read wrk's output:\n" + output)
    return WrkResult(
        requests_per_second=float(rps.group(1)), requests=int(total.group(1)),
        latency_avg_ms=_ms(*latency.groups()[:2]) if latency else 0.0,
        latency_max_ms=_ms(*latency.groups()[2:]) if latency else 0.0,
        latency_p99_ms=_ms(*p99.groups()) if p99 else 0.0,
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        statuses=statuses, output=output)
