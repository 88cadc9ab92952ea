"""`secaudit demo` (and `make demo`): the main job on the shipped examples.

Validate the example inventory (and show what mistakes look like), classify its systems
under both regimes, write one classification dossier, then start demo targets on
127.0.0.x that match the inventory (some systems compliant, some not), scan them, write
every report format to demo-out/, fix one target and scan again, show what changed (`diff`)
and when the next assessments are due (`due`), stop the targets, then assess every requirement
of each system's level from the stored scans and examples/evidence.yaml (`assess`: the xlsx workbook,
Markdown and JSON in demo-out/assessment/). The runs are stored in demo-out/history/. Each step is the real `secaudit` command a user would type.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from secaudit.lab.sshlab import USER, have_tools, lab_hosts
from secaudit.probes.host import sudoers_lines
from secaudit.resources import examples_dir

SECAUDIT = [sys.executable, "-m", "secaudit"]
# Every step runs in a working directory holding `examples/` (the shipped examples) and `demo-out/`.
ROOT = os.getcwd()


# what the `lab` extra installs (setup.cfg), imported only once the demo targets start
LAB_MODULES = ("aiosmtpd",)


def missing_extra() -> str | None:
    """The first module of the `lab` extra that cannot be imported, or None."""
    for name in LAB_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


class DemoFailed(Exception):
    """A demo step did not exit as expected."""


def bold(text: str) -> str:
    """Bold on a terminal; plain text in a file or a pipe (no raw escape codes in a log)."""
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() and not os.environ.get("NO_COLOR") else text


def step(title: str, *args: str, expect: int = 0) -> None:
    print(f"\n{bold('$ secaudit ' + ' '.join(args))}   # {title}", flush=True)
    rc = subprocess.run(SECAUDIT + list(args), cwd=ROOT).returncode
    if rc != expect:
        raise DemoFailed(f"demo: `secaudit {' '.join(args)}` exited {rc}, expected {expect}")


def scan_demo_targets() -> None:
    # start-up: cryptography loaded only when needed
    from secaudit.lab.demo_targets import MTA_STS_PORT, demo_dns, demo_targets

    out = Path(ROOT) / "demo-out"
    store = ["--data-dir", str(out / "history")]       # the demo's own history store, kept for exploring
    with tempfile.TemporaryDirectory(prefix="secaudit-demo-") as tmp:
        with demo_dns(Path(tmp)) as resolver:
            if not resolver:
                print("nsd is not installed (scripts/ensure-sysdeps.sh): the mail-domain checks will be errors")
            for fixed in (False, True):
                print("\n" + bold("Starting demo targets on 127.0.0.11-23 (nginx, SMTP/IMAP with STARTTLS, sshd, "
                                   "a MySQL-like listener, DNS for two mail domains)"
                                   + (", cong-dvc now sends HSTS" if fixed else "") + "..."), flush=True)
                with demo_targets(Path(tmp), fixed=fixed) as ca_file:
                    args = ["scan", "examples/inventory.yaml", "--ca-file", str(ca_file), "--out", str(out),
                            "--runs-dir", str(Path(tmp) / "runs"), "--fail-on", "high",
                            "--waivers", "examples/waivers.yaml", "--mta-sts-port", str(MTA_STS_PORT), *store]
                    args += ["--resolver", resolver] if resolver else []
                    for fmt in ("html", "md", "text", "json", "sarif", "junit", "csv"):
                        args += ["--format", fmt]
                    # exit 1: some demo systems fail high-severity controls on purpose
                    step("scan again after one fix: the run is stored beside the first" if fixed else
                         "check every endpoint against the controls of its system's level", *args, expect=1)
                    if not fixed:
                        # exit 1: the MySQL-like listener on 127.0.0.16:3306 is declared by no system
                        step("find hosts and ports no system declares, in the declared networks of the dmz and dc "
                             "zones", "discover", "examples/inventory.yaml", "--out", str(out / "discovery"),
                             "--format", "md", "--format", "json", "--format", "html", expect=1)
                print("demo targets stopped.")
    step("what changed between the two stored runs: one finding fixed, nothing else", "diff", *store)
    # exit 0: every system has some evidence; no system meets its whole level, and the workbook says so row by row
    step("assess every requirement of each system's level (TCVN 14423:2026) from the stored scans and the "
         "evidence register; the workbook an officer keeps", "assess", "examples/inventory.yaml",
         "--evidence", "examples/evidence.yaml", *store, "--lang", "vi", "--format", "xlsx", "--format", "md",
         "--format", "json", "--out", str(out / "assessment"))
    # exit 1: the air-gapped vb-mat cannot be measured over the network, so no scan counts as its assessment
    step("when each system's next periodic assessment is due, under both regimes, and which evidence expires",
         "due",
         "examples/inventory.yaml", *store, expect=1)
    print(f"\n{bold('HTML report:')} {out / 'report.html'}")
    print(f"{bold('Assessment workbook:')} {out / 'assessment' / 'assessment.xlsx'}")


DEMO_HOSTS = {"srv-hardened": ("127.0.0.24", "hardened"), "srv-weak": ("127.0.0.25", "weak")}


def scan_demo_hosts() -> None:
    """Host checks over SSH: a real sshd on loopback serving a hardened and a weak planted server."""
    missing = have_tools()
    if os.geteuid() != 0 or missing:
        print("\nhost checks demo skipped: it needs root (namespaces) and " + (", ".join(missing) or "nothing else"))
        return
    out = Path(ROOT) / "demo-out"
    with tempfile.TemporaryDirectory(prefix="secaudit-demo-hosts-") as tmp:
        print("\n" + bold("Starting a demo sshd on 127.0.0.24 (hardened server) and 127.0.0.25 (weak server)..."),
              flush=True)
        routes = {(addr, 2222): profile for addr, profile in DEMO_HOSTS.values()}
        with lab_hosts(Path(tmp), routes, sudoers_lines(USER)) as lab:
            inventory = out / "hosts-inventory.yaml"
            lines = ["kind: inventory", "version: 1", "organisation:", "  name: Demo", "systems:"]
            for sid, (addr, _profile) in DEMO_HOSTS.items():
                lines += [f"  - {{id: {sid}, name: {sid}, purpose: internal, information: [private], "
                          f"declared_level: 3, hosts: [{{address: {addr}, ssh: {{port: 2222, user: {USER}, "
                          f"key: '{lab['key']}', known_hosts: '{lab['known_hosts']}', sudo: true}}}}]}}"]
            inventory.write_text("\n".join(lines) + "\n")
            # exit 1: the weak server fails most host controls on purpose
            step("log in to each server over SSH (read-only account, strict host keys) and check its configuration",
                 "scan", str(inventory), "--only", "host", "--out", str(out / "hosts"), "--runs-dir",
                 str(Path(tmp) / "runs"), "--data-dir", str(out / "history"), "--format", "text", "--format", "html",
                 "--format", "json", expect=1)
        print("demo sshd stopped.")


def list_systems() -> None:
    # start-up: rich, secaudit.checks loaded only when needed
    from rich.console import Console
    from rich.table import Table

    from secaudit.load import load_inventory

    inv = load_inventory(os.path.join(ROOT, "examples/inventory.yaml"))
    table = Table(title=inv.organisation.name)
    for col in ("id", "name", "purpose", "declared", "endpoints"):
        table.add_column(col)
    for s in inv.systems:
        table.add_row(s.id, s.name, s.purpose.value, str(s.declared_level or "-"),
                      ", ".join(e.address for e in s.endpoints) or "(none)")
    Console().print(table)


def prepare(workdir: Path) -> None:
    """Run in ``workdir``; link the shipped examples there when it has none (an installed wheel)."""
    global ROOT
    ROOT = str(workdir)
    examples = workdir / "examples"
    if not examples.exists():
        examples.symlink_to(examples_dir(), target_is_directory=True)
    os.makedirs(workdir / "demo-out", exist_ok=True)


def main(workdir: Path | None = None) -> None:
    prepare((workdir or Path.cwd()).resolve())
    step("a valid inventory", "validate", "examples/inventory.yaml")
    step("what mistakes look like (exit status 2)", "validate", "examples/invalid-inventory.yaml", expect=2)
    print()
    list_systems()
    step("security level of every system (Decree 331/2026, the default regime)",
         "classify", "examples/inventory.yaml", "--lang", "vi")
    step("the same inventory under Decree 85/2016; a declared level that is too low fails CI (exit 1)",
         "classify", "examples/inventory.yaml", "--regime", "decree-85-2016", "--fail-on-underclassified",
         expect=1)
    step("the classification dossier of one system (hồ sơ đề xuất cấp độ), in Vietnamese",
         "dossier", "examples/inventory.yaml", "--system", "cong-dvc", "--lang", "vi", "--format", "md",
         "-o", "demo-out/dossier-cong-dvc.md")
    scan_demo_targets()
    scan_demo_hosts()


if __name__ == "__main__":
    try:
        main()
    except DemoFailed as e:
        sys.exit(str(e))
