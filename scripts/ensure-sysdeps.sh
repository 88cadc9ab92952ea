#!/usr/bin/env bash
# Install the Debian packages secaudit and its tests need, only when something is missing.
# Re-running is instant when everything is present.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have nmap || need+=(nmap)
have chromium-headless-shell || need+=(chromium-headless-shell)   # the HTML report's browser test
have openssl || need+=(openssl)
have nginx || have /usr/sbin/nginx || need+=(nginx-light)
have /usr/sbin/sshd || need+=(openssh-server)
have ssh || need+=(openssh-client)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need+=(postgresql)   # store tests: a real server
have systemd-analyze || need+=(systemd)   # examples/: `systemd-analyze verify` of the scheduled-audit units
have runuser || need+=(util-linux)        # PostgreSQL refuses root: the tests run it as an unprivileged user
have setpriv || need+=(util-linux)        # lab servers end with the test process that started them (--pdeathsig)
have redis-server || have /usr/bin/redis-server || need+=(redis-server)   # broker of the distributed executor (tests start their own)   # SSH auth-methods fallback when nmap's libssh2 cannot negotiate
have sudo || need+=(sudo)                 # host checks' lab: the audit account's sudo lines (docs/host.md)
have nft || have /usr/sbin/nft || need+=(nftables)   # host checks' lab: a hardened host's firewall in its namespace
have cryptsetup || have /usr/sbin/cryptsetup || need+=(cryptsetup-bin)   # host checks' lab: a real LUKS volume on a loop device
have dnf || need+=(dnf)                   # host checks' lab: a RHEL-family host's package manager, run for real
have rpmbuild || need+=(rpm)              # host checks' lab: its rpm database and packages
have createrepo_c || need+=(createrepo-c)  # host checks' lab: its local repository with a security advisory
have soffice || need+=(libreoffice-writer-nogui)   # --format pdf of the documents (dossier, forms, annual report)
have pdftoppm || need+=(poppler-utils)          # tests render page 1 of a document to PNG
have /usr/sbin/nsd || need+=(nsd)          # authoritative DNS server for the mail-domain tests and the demo zone
[ -e /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || need+=(fonts-liberation2)   # metric-compatible Times New Roman for PDF
have lynis || have /usr/sbin/lynis || need+=(lynis)   # secaudit import: the tests run a real `lynis audit system`
have oscap || need+=(openscap-scanner)    # secaudit import: the tests run a real `oscap xccdf eval`
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)

if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi

echo "secaudit: installing missing system packages: ${need[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "secaudit: need root (or sudo) to install: apt-get install ${need[*]}" >&2
        exit 2
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (a parallel test run, unattended upgrades) instead of failing at once.
APT_LOCK=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${APT_LOCK[@]}" update -qq
$SUDO apt-get "${APT_LOCK[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The openssh-server package may start a system sshd; tests start their own on high ports.
