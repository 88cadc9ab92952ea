"""sslyze 6 adapter: scan TLS endpoints and turn the results into :class:`TlsFacts` observations.

Only this package imports sslyze; nothing sslyze-typed leaves it. One module per job:

* :mod:`.params` (pure): the measurements checks need ("tls:protocols", "tls:ciphers",
  "tls:certificate", ...) → the sslyze scan commands to run, and the endpoint to scan;
* :mod:`.reach`: the quick "does it speak?" check (a silent port costs seconds, not sslyze's ~55 s);
* :mod:`.sweep`: sslyze's connectivity test and the protocol sweep, one handshake per version
  instead of a ~530-handshake cipher enumeration;
* :mod:`.eliminate`: the accepted suites of each version the sweep did not find refused, by
  elimination (every suite not yet accepted offered at once until the server refuses: accepted + 1
  handshakes instead of one per suite), and whether they settle ROBOT;
* :mod:`.groups`: the supported groups, the same way;
* :mod:`.commands`: sslyze's scan commands for one endpoint, with a deadline and a way to stop;
* :mod:`.facts` and :mod:`.certfacts`: sslyze's results → facts;
* :mod:`.pipeline`: those stages per endpoint, each endpoint with its own budget, observations
  streamed as each endpoint finishes (:func:`scan`).
"""

from secaudit.probes.tls.certfacts import hostname_matches
from secaudit.probes.tls.facts import _merge_protocols, _protocols_from_ciphers
from secaudit.probes.tls.params import KNOWN_NEEDS, TlsProbeParams, TlsTarget, params_for_needs
from secaudit.probes.tls.pipeline import scan, scan_endpoints
from secaudit.probes.tls.reach import quick_check, quick_check_overhead_s

__all__ = ["KNOWN_NEEDS", "TlsProbeParams", "TlsTarget", "hostname_matches", "params_for_needs", "quick_check",
           "quick_check_overhead_s", "scan", "scan_endpoints", "_merge_protocols", "_protocols_from_ciphers"]
