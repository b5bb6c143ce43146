"""Sigma logsource -> EVTX channel and event identifier, from pySigma's pipelines.

The tables are read from pySigma's maintained processing pipelines, so that a
rule selects the same events here as in other Sigma tools:

* services: `sigma.pipelines.common.windows_logsource_mapping`
    (pysigma-pipeline-windows): service -> Channel;
* Sysmon categories: `sysmon_generic_logsource_eventid_mapping`
    (pysigma-pipeline-sysmon): category -> Sysmon EventID;
* PowerShell categories: `windows_generic_category_channel_mapping`
    (pysigma-pipeline-windows): category -> service and EventID;
* process_creation in the Security log: `generic_logsource_to_windows_audit_
    event_mapping` (the windows-audit pipeline): EventID 4688. Its field names
    (Image -> NewProcessName, ...) are aliases in plaso_netsupport.evtx
    (PROCESS_CREATION_ALIASES, tested against the pipeline).

SUPPLEMENTARY_SERVICES holds the few services SigmaHQ's Windows rules use that
the pipelines do not (yet) map; UNMAPPABLE_CATEGORIES the categories that no
Windows event log records (SigmaHQ's rules for them read ETW). See
docs/sigma.md for the sources.
"""

from plaso_netsupport.sigma import compiler

from sigma.pipelines import common as _common
from sigma.pipelines.sysmon import sysmon as _sysmon
from sigma.pipelines.windows import windows as _windows

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SECURITY_CHANNEL = "Security"

# Services SigmaHQ's Windows rules use that pySigma's pipelines do not map
# (channel names: SigmaHQ's logsource guides and the rules' `definition`).
SUPPLEMENTARY_SERVICES = {
    "iis-configuration": ["Microsoft-IIS-Configuration/Operational"],
    "smbserver-connectivity": ["Microsoft-Windows-SMBServer/Connectivity"],
    "smbclient-connectivity": ["Microsoft-Windows-SmbClient/Connectivity"],
    "ldap": ["Microsoft-Windows-LDAP-Client/Debug"],
    "servicebus-client": [
        "Microsoft-ServiceBus-Client/Operational",
        "Microsoft-ServiceBus-Client/Admin",
    ],
}

# Categories the pipelines map to no Security event that this package has
# always mapped (4689 "A process has exited").
SUPPLEMENTARY_CATEGORIES = {
    "process_termination": [(SECURITY_CHANNEL, {4689})],
}

# Categories that no Windows event log records: the refusal says why.
UNMAPPABLE_CATEGORIES = {
    "file_access": "Microsoft-Windows-Kernel-File ETW events",
    "file_rename": "Microsoft-Windows-Kernel-File ETW events",
}


def _AsList(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ServiceChannels():
    services = {
        service.lower(): _AsList(channels)
        for service, channels in _common.windows_logsource_mapping.items()
    }
    for service, channels in SUPPLEMENTARY_SERVICES.items():
        services.setdefault(service, list(channels))
    return services


def _CategoryEvents(services):
    categories = {}
    for (
        category,
        identifiers,
    ) in _sysmon.sysmon_generic_logsource_eventid_mapping.items():
        categories.setdefault(category, []).append(
            (SYSMON_CHANNEL, {int(value) for value in _AsList(identifiers)})
        )
    for category, info in _windows.windows_generic_category_channel_mapping.items():
        for channel in services[info["service"]]:
            categories.setdefault(category, []).append(
                (channel, {int(value) for value in _AsList(info["EventID"])})
            )
    # Only the audit mappings that are an event identifier alone: the registry
    # ones also need an OperationType condition on 4657 and are not used.
    for (
        category,
        conditions,
    ) in _windows.generic_logsource_to_windows_audit_event_mapping.items():
        if set(conditions) == {"EventID"}:
            categories.setdefault(category, []).insert(
                0,
                (
                    SECURITY_CHANNEL,
                    {int(value) for value in _AsList(conditions["EventID"])},
                ),
            )
    for category, targets in SUPPLEMENTARY_CATEGORIES.items():
        for target in reversed(targets):
            categories.setdefault(category, []).insert(0, target)
    return categories


# Sigma logsource "service" (product windows) -> EVTX channel(s).
SERVICE_CHANNELS = _ServiceChannels()

# Sigma logsource "category" (product windows) -> [(channel, event ids)].
CATEGORY_EVENTS = _CategoryEvents(SERVICE_CHANNELS)


def Targets(logsource):
    """Returns [(channel or None, event ids or None)] for a Sigma logsource.

    Raises:
        compiler.UnsupportedError: if the logsource is not in Windows event logs.
    """
    product = (logsource.product or "").lower()
    category = (logsource.category or "").lower()
    service = (logsource.service or "").lower()
    description = "/".join(part for part in (product, category, service) if part)
    if product and product != "windows":
        raise compiler.UnsupportedError(
            f"logsource {description!r} is not in Windows event logs"
        )

    targets = None
    if category:
        if category in UNMAPPABLE_CATEGORIES:
            raise compiler.UnsupportedError(
                f"logsource category {category!r} is recorded by "
                f"{UNMAPPABLE_CATEGORIES[category]}, not by an event log"
            )
        if category not in CATEGORY_EVENTS:
            raise compiler.UnsupportedError(
                f"logsource category {category!r} has no EVTX mapping"
            )
        targets = [(channel, set(ids)) for channel, ids in CATEGORY_EVENTS[category]]
    if service:
        if service not in SERVICE_CHANNELS:
            raise compiler.UnsupportedError(
                f"logsource service {service!r} has no EVTX channel mapping"
            )
        channels = SERVICE_CHANNELS[service]
        if targets is None:
            targets = [(channel, None) for channel in channels]
        else:
            targets = [target for target in targets if target[0] in channels]
            if not targets:
                raise compiler.UnsupportedError(
                    f"logsource {description!r}: category and service do not overlap"
                )
    if targets is None:
        if not product:
            raise compiler.UnsupportedError("logsource is empty")
        targets = [(None, None)]  # product windows: any channel
    return targets
