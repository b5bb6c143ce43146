"""What a client configuration (client32.ini) tells about its installation.

The client32_ini parser has already read the file; this fills the
installation's gateways (with their roles), gateway security key, stealth
settings (with the values as written) and administrator locks, which the
verdict rules (verdicts.py) turn into findings.
"""


def _Setting(settings, key, default):
    return settings.get(key, ("", default))[1].strip() or default


def LearnConfiguration(installation, item):
    """Records what a configuration item says on its installation.

    Args:
      installation (Installation|None): the installation of the file.
      item (Item): the configuration item (role "config").
    """
    if installation is None:
        return
    installation.config_items.append(item)
    installation.validated = True
    values = item.values
    for host_name, port_name, role in (
        ("gateway", "gateway_port", "primary"),
        ("secondary_gateway", "secondary_port", "secondary"),
    ):
        host = values.get(host_name)
        if host:
            port = values.get(port_name)
            gateway = f"{host}:{port}" if port else str(host)
            if gateway not in installation.gateways:
                installation.gateways.append(gateway)
                installation.gateway_roles[gateway] = role
    if values.get("has_gateway_security_key"):
        installation.security_key = True
    settings = {}
    for setting in values.get("settings") or []:
        key, _, value = str(setting).partition("=")
        settings[key.rpartition("\\")[2].lower()] = (key, value)
    stealth = []
    if values.get("silent"):
        stealth.append("silent mode")
        installation.settings["silent"] = _Setting(settings, "silent", "1")
    if values.get("systray_hidden"):
        stealth.append("tray icon hidden")
        installation.settings["SysTray"] = _Setting(settings, "systray", "0")
    if values.get("hide_when_idle"):
        stealth.append("hidden when idle")
        installation.settings["HideWhenIdle"] = _Setting(settings, "hidewhenidle", "1")
    if values.get("show_ui_on_connect") is False:
        stealth.append("no user interface on connect")
        installation.settings["ShowUIOnConnect"] = _Setting(
            settings, "showuionconnect", "0"
        )
    for entry in stealth:
        if entry not in installation.stealth:
            installation.stealth.append(entry)
    for feature in values.get("disabled_features") or []:
        feature = str(feature)
        if feature not in installation.admin_locks:
            installation.admin_locks.append(feature)
