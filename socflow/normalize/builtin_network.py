"""The network device parsers (firewalls, IDS, web servers) that socflow registers by default."""

from __future__ import annotations

from typing import Final

from socflow.normalize.access_log import APACHE, NGINX
from socflow.normalize.cisco_asa import CISCO_ASA
from socflow.normalize.error_log import APACHE_ERROR, NGINX_ERROR
from socflow.normalize.fortigate import FORTIGATE
from socflow.normalize.iptables import IPTABLES
from socflow.normalize.panos import PANOS
from socflow.normalize.registry import ParserSpec
from socflow.normalize.suricata import SURICATA_EVE
from socflow.normalize.zeek import ZEEK

NETWORK_PARSERS: Final[tuple[ParserSpec, ...]] = (
    CISCO_ASA,
    FORTIGATE,
    PANOS,
    SURICATA_EVE,
    ZEEK,
    IPTABLES,
    APACHE,
    NGINX,
    APACHE_ERROR,
    NGINX_ERROR,
)
SPECS: Final = NETWORK_PARSERS
