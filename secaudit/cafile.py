"""The organisation's CA bundle (``--ca-file``), checked before anything is scanned.

sslyze reads the file only when a certificate is validated, as
``Store(load_pem_x509_certificates(data))``: a file that is not a PEM bundle would turn every
certificate control of every endpoint into an error. The same two calls are made here first,
so the user gets one input error naming the file instead.
"""

from __future__ import annotations

from secaudit.errors import Diagnostic, InputError
from secaudit.inputfile import read_regular_file

MAX_CA_FILE_BYTES = 16 * 1024 * 1024


def check_ca_file(path: str) -> int:
    """The number of certificates in the PEM bundle ``path``; raises InputError naming the file."""
    # start-up: cryptography loaded only when needed
    from cryptography.x509 import load_pem_x509_certificates
    from cryptography.x509.verification import Store

    data = read_regular_file(path, MAX_CA_FILE_BYTES)
    try:
        certificates = load_pem_x509_certificates(data)
        Store(certificates)
    except (ValueError, TypeError) as e:
        raise InputError([Diagnostic(path, 0, 0, "ca.not_pem", {"reason": str(e)[:160] or type(e).__name__})]) \
            from None
    return len(certificates)
