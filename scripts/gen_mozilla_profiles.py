"""Generate policies/profiles/mozilla-{modern,intermediate,old}.yaml from the Mozilla Server Side TLS 5.7
JSON that sslyze ships (sslyze/mozilla_tls_profile/5.7.json), so the lists are Mozilla's own.

Run: .venv/bin/python scripts/gen_mozilla_profiles.py   (the output is committed; re-run on a new version)
"""

from __future__ import annotations

import json
from pathlib import Path

import sslyze
import yaml

SRC = Path(sslyze.__file__).parent / "mozilla_tls_profile" / "5.7.json"
OUT = Path(__file__).resolve().parent.parent / "policies" / "profiles"
ALL = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
MOZ = {"TLSv1": "TLSv1.0"}
REF = "Mozilla Server Side TLS 5.7 ({name}): https://wiki.mozilla.org/Security/Server_Side_TLS"
NAMES = {"modern": ("Modern", "Hiện đại"), "intermediate": ("Intermediate", "Trung gian"), "old": ("Old", "Cũ")}


def control(cid, check, params, severity, en, vi, rem_en, rem_vi, name, applies_to=None):
    c = {"id": cid, "title": {"vi": vi, "en": en}, "check": check, "params": params, "severity": severity,
         "references": [REF.format(name=name)], "applies_to": applies_to or [],
         "remediation": {"vi": rem_vi, "en": rem_en}}
    return c


def ocsp_control(P: str, en_name: str) -> dict:
    """Stapling is not in Mozilla's 5.7 configurations (the generator offers it as an option): a secaudit
    addition, judged only where the certificate names an OCSP responder (docs/tls.md, "Revocation")."""
    c = control(f"{P}-OCSP-01", "tls.ocsp_stapling", {}, "low",
                "OCSP responses are stapled (when the certificate names an OCSP responder)",
                "Máy chủ đính kèm (staple) phản hồi OCSP (khi chứng thư số chỉ ra máy chủ phản hồi OCSP)",
                "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on). Certificates without an "
                "OCSP responder URL (e.g. Let's Encrypt since 2025) need nothing: the control does not apply.",
                "Bật OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on). Chứng thư số không có URL máy "
                "chủ phản hồi OCSP (ví dụ Let's Encrypt từ năm 2025) không cần gì: yêu cầu này không áp dụng.", en_name)
    c["references"].append("secaudit addition: stapling is an option of ssl-config.mozilla.org, not part of the "
                           "5.7 configurations; CA/Browser Forum ballot SC-063 (2023) made OCSP optional for CAs")
    return c


def profile(name: str, cfg: dict) -> dict:
    en_name, vi_name = NAMES[name]
    P = f"MOZ-{name[0].upper()}"
    versions = [MOZ.get(v, v) for v in cfg["tls_versions"]]
    forbidden = [v for v in ALL if v not in versions]
    weak = ["NULL", "EXPORT", "anonymous", "RC4", "DES", "MD5"] + (["3DES"] if name != "old" else [])
    types = {"rsa": "RSA", "ecdsa": "EC"}
    controls = [
        control(f"{P}-PROTO-01", "tls.protocols.forbidden", {"protocols": forbidden}, "high",
                "Only the profile's protocol versions are accepted", "Chỉ chấp nhận các phiên bản giao thức của hồ sơ",
                f"Disable {', '.join(forbidden)} in the server's TLS configuration.",
                f"Tắt {', '.join(forbidden)} trong cấu hình TLS của máy chủ.", en_name),
        control(f"{P}-PROTO-02", "tls.protocols.required", {"protocols": versions, "mode": "any"}, "medium",
                "A protocol version of the profile is offered", "Máy chủ hỗ trợ ít nhất một phiên bản giao thức của hồ sơ",
                f"Enable {' or '.join(versions)}.", f"Bật {' hoặc '.join(versions)}.", en_name),
        control(f"{P}-CIPH-01", "tls.ciphers.allowed",
                {"tls13": sorted(cfg["ciphersuites"]), "tls12_and_below": sorted(cfg["ciphers"]["iana"])}, "high",
                "Only the profile's cipher suites are accepted", "Chỉ chấp nhận các bộ mã hóa của hồ sơ",
                "Set the cipher list to the profile's list (Mozilla SSL Configuration Generator).",
                "Cấu hình danh sách bộ mã hóa theo hồ sơ (Mozilla SSL Configuration Generator).", en_name),
        control(f"{P}-CIPH-02", "tls.ciphers.forbidden", {"categories": weak}, "high",
                "No broken cipher suite (NULL, export, anonymous, RC4, DES, MD5" + (", 3DES" if name != "old" else "") + ")",
                "Không chấp nhận bộ mã hóa đã bị phá vỡ (NULL, export, ẩn danh, RC4, DES, MD5" +
                (", 3DES" if name != "old" else "") + ")",
                "Remove these suites from the cipher list.", "Loại bỏ các bộ mã hóa này khỏi danh sách.", en_name),
        control(f"{P}-KX-01", "tls.key_exchange.size",
                {"dh_min_bits": cfg["dh_param_size"] or 0, "ecdh_min_bits": cfg["ecdh_param_size"]}, "medium",
                "Ephemeral key exchanges are large enough", "Khóa trao đổi tạm thời đủ kích thước",
                "Use ffdhe2048 or larger DH groups and 256-bit or larger curves.",
                "Dùng nhóm DH ffdhe2048 trở lên và đường cong 256 bit trở lên.", en_name),
        control(f"{P}-GROUPS-01", "tls.groups.allowed", {"groups": sorted(cfg["tls_curves"])}, "low",
                "Only the profile's key-exchange groups are accepted", "Chỉ chấp nhận các nhóm trao đổi khóa của hồ sơ",
                f"Set the groups/curves to {':'.join(sorted(cfg['tls_curves']))} (nginx: ssl_ecdh_curve).",
                f"Cấu hình nhóm/đường cong là {':'.join(sorted(cfg['tls_curves']))} (nginx: ssl_ecdh_curve).", en_name),
        control(f"{P}-VULN-01", "tls.vulnerabilities",
                {"vulnerabilities": ["heartbleed", "robot", "ccs_injection", "insecure_renegotiation", "compression",
                                     "no_fallback_scsv", "no_extended_master_secret"]}, "critical",
                "No known TLS vulnerability", "Không có lỗ hổng TLS đã biết",
                "Update the TLS library and server; enable secure renegotiation, TLS_FALLBACK_SCSV and Extended Master Secret; disable TLS compression.",
                "Cập nhật thư viện TLS và phần mềm máy chủ; bật secure renegotiation, TLS_FALLBACK_SCSV và Extended Master Secret; tắt nén TLS.",
                en_name),
        control(f"{P}-CERT-01", "cert.trusted", {}, "high",
                "The certificate chain is trusted", "Chuỗi chứng thư số được tin cậy",
                "Install a certificate from a trusted CA and send the full chain (leaf and intermediates).",
                "Cài đặt chứng thư số do CA tin cậy cấp và gửi đủ chuỗi (chứng thư máy chủ và chứng thư trung gian).",
                en_name),
        control(f"{P}-CERT-02", "cert.hostname", {}, "high",
                "The certificate matches the server name", "Chứng thư số khớp với tên máy chủ",
                "Issue a certificate whose subjectAltName contains the name clients use.",
                "Cấp chứng thư số có subjectAltName chứa tên mà người dùng truy cập.", en_name),
        control(f"{P}-CERT-03", "cert.expiry", {"warn_days": 30}, "high",
                "The certificate is within its validity period", "Chứng thư số còn trong thời hạn hiệu lực",
                "Renew the certificate (automate renewal, e.g. ACME).",
                "Gia hạn chứng thư số (nên tự động hóa, ví dụ ACME).", en_name),
        control(f"{P}-CERT-04", "cert.key_strength",
                {"rsa_min_bits": cfg["rsa_key_size"] or 2048, "ec_min_bits": 256,
                 "allowed_types": sorted(types[t] for t in cfg["certificate_types"]),
                 "allowed_curves": sorted(cfg["certificate_curves"])}, "high",
                "The certificate key type and size follow the profile", "Loại và độ dài khóa chứng thư số theo hồ sơ",
                "Issue a new certificate with an allowed key (" + ", ".join(sorted(cfg["certificate_types"])) + ").",
                "Cấp lại chứng thư số với loại khóa được phép (" + ", ".join(sorted(cfg["certificate_types"])) + ").",
                en_name),
        control(f"{P}-CERT-05", "cert.signature",
                {"forbidden_hashes": ["md5", "sha1"], "allowed_leaf_algorithms": sorted(cfg["certificate_signatures"])},
                "high", "The certificate signature algorithm follows the profile",
                "Thuật toán chữ ký của chứng thư số theo hồ sơ",
                "Have the certificate re-issued with an allowed signature algorithm (SHA-256 or better).",
                "Yêu cầu cấp lại chứng thư số với thuật toán chữ ký được phép (SHA-256 trở lên).", en_name),
        control(f"{P}-CERT-06", "cert.lifespan", {"max_days": cfg["maximum_certificate_lifespan"]}, "low",
                "The certificate lifetime is not too long", "Thời hạn chứng thư số không quá dài",
                f"Use certificates valid for at most {cfg['maximum_certificate_lifespan']} days "
                f"(recommended {cfg['recommended_certificate_lifespan']}).",
                f"Dùng chứng thư số có thời hạn tối đa {cfg['maximum_certificate_lifespan']} ngày "
                f"(khuyến nghị {cfg['recommended_certificate_lifespan']}).", en_name),
        ocsp_control(P, en_name),
        control(f"{P}-HSTS-01", "http.hsts", {"min_max_age": cfg["hsts_min_age"]}, "medium",
                "HTTPS sites send HSTS", "Trang HTTPS gửi tiêu đề HSTS",
                f'Send "Strict-Transport-Security: max-age={cfg["hsts_min_age"]}" on every HTTPS response.',
                f'Gửi "Strict-Transport-Security: max-age={cfg["hsts_min_age"]}" trên mọi phản hồi HTTPS.',
                en_name, applies_to=["https"]),
    ]
    return {
        "kind": "policy",
        "id": f"mozilla-{name}",
        "title": {"vi": f"Hồ sơ TLS phía máy chủ của Mozilla, mức {vi_name} (phiên bản 5.7)",
                  "en": f"Mozilla Server Side TLS, {en_name} profile (version 5.7)"},
        "extends": [],
        "controls": controls,
    }


def main() -> None:
    data = json.loads(SRC.read_text())
    for name in ("modern", "intermediate", "old"):
        doc = profile(name, data["configurations"][name])
        header = (f"# Generated by scripts/gen_mozilla_profiles.py from Mozilla Server Side TLS {data['version']}\n"
                  f"# (the JSON shipped with sslyze). Edit the generator, not this file.\n")
        (OUT / f"mozilla-{name}.yaml").write_text(
            header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")


if __name__ == "__main__":
    main()
