"""Where a gateway is: the vendor's, inside the organisation, or outside.

A NetSupport client phones home to the gateway its client32.ini names. The
verdict rules (verdicts.py) weigh an external gateway as suspicious; the
vendor's own domains and the knowledge file's internal_gateway_suffixes
are not.
"""

import ipaddress

_INTERNAL_NETWORKS = [
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]


class GatewayClassifier:
    """Classifies "host[:port]" gateways as vendor, internal or external."""

    def __init__(self, knowledge):
        data = knowledge.data
        self._vendor_domains = tuple(name.lower() for name in data["vendor_domains"])
        self._internal_suffixes = tuple(
            name.lower() for name in data.get("internal_gateway_suffixes") or []
        )

    def Classify(self, gateway):
        """Returns vendor, internal or external for a "host[:port]" gateway."""
        host = gateway.strip().lower()
        if host.startswith("["):
            host = host[1:].partition("]")[0]
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        host = host.rstrip(".")
        if not host:
            return "internal"
        if host.endswith(self._vendor_domains):
            return "vendor"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            # Only the ranges an organisation uses inside (RFC 1918, RFC 4193,
            # loopback, link-local); documentation ranges stand for public ones.
            if (
                address.is_loopback
                or address.is_link_local
                or any(address in network for network in _INTERNAL_NETWORKS)
            ):
                return "internal"
            return "external"
        if "." not in host or host.endswith(self._internal_suffixes):
            return "internal"
        return "external"
