"""Turns candidate items into installations, evidence kinds and verdicts.

Runs once, after the analysis has seen every event. An installation is a
folder that holds the NetSupport kit (its configuration or licence, or enough
of its characteristic files), wherever it is and whatever the client binary
is called. Every item is then judged against the installations: a file in a
kit folder, a Run value or shortcut that starts a binary there, a service
whose image is there, a process started from there and its children, and so
on. Each installation gets a verdict with the reasons behind it.
"""

import collections
import re

from plaso_netsupport.analysis import paths

SUSPICIOUS = "suspicious"
SANCTIONED = "sanctioned"
ALLOWLISTED = "allowlisted"

_STARTUP_FOLDER = "\\start menu\\programs\\startup"
_REFERENCED_FILE = re.compile(
    r"[\w.\-\\:$%]+\.(?:zip|7z|rar|cab|msi|exe|dll|ini|lic|js|ps1|bat)\b", re.I
)


class Installation:
    """One NetSupport installation: a kit folder and what ties to it."""

    def __init__(self, folder):
        self.folder = folder
        self.files = set()
        self.client_names = set()
        self.renamed_names = set()
        self.gateways = []
        self.licences = []
        self.stealth = []
        self.security_key = False
        self.services = set()
        self.persistence = []
        self.executions = []
        self.parents = set()
        self.reasons = []
        self.verdict = SANCTIONED
        self.allowlist_reason = None
        self.timestamps = []
        self.techniques = collections.Counter()
        self.event_count = 0

    @property
    def name(self):
        """str: folder name, the handle an examiner uses for it."""
        return paths.Split(self.folder)[1] or self.folder


class Correlator:
    """Decides which items are evidence and of what."""

    def __init__(self, knowledge, allowlist=None):
        self._knowledge = knowledge
        self._allowlist = allowlist
        self._kit_names = frozenset(knowledge.kit_files)
        self._executable_kit_names = frozenset(
            name for name in self._kit_names if name.endswith(".exe")
        )
        data = knowledge.data
        self._legitimate = paths.CompilePatterns(data["legitimate_install_paths"])
        self._drop = paths.CompilePatterns(data["drop_locations"])
        self._script_hosts = frozenset(data["script_hosts"]) | frozenset(
            data["office_hosts"]
        )
        self._powershell = frozenset(data["powershell_images"])
        self._shells = frozenset(data["command_shell_images"])
        self._delete_words = [
            word.lower() for word in data["script_block_actions"]["delete"]
        ]
        self._vendor_domains = tuple(data["vendor_domains"])
        self._abused_licences = data.get("abused_licences") or []
        self.installations = {}
        self.notes = []

    # Step 0: change-journal records get the path of their parent folder.

    @staticmethod
    def _ResolveChangeJournalPaths(items):
        folders = {
            item.values["inode"]: item.path
            for item in items
            if item.role == "file"
            and item.values.get("directory")
            and item.values.get("inode")
        }
        for item in items:
            if item.role != "usn":
                continue
            folder = folders.get(item.values["parent_reference"])
            if folder:
                item.path = f"{folder}\\{item.values['file_name']}"
                item.folder, item.name = folder, item.values["file_name"]

    # Step 1: kit folders.

    def _FindKitFolders(self, items):
        strong = collections.defaultdict(set)
        certain = set()
        minimum = self._knowledge.data["kit_folder_min_strong_files"]

        def Add(path):
            folder, name = paths.Split(path)
            if name in self._knowledge.strong_kit_file_names:
                strong[folder].add(name)

        for item in items:
            if item.role in ("file", "pe") and not item.values.get("directory"):
                Add(item.path)
                if item.values.get("dll_name") == "pcicl32.dll":
                    certain.add(item.folder)
            elif item.role == "config":
                certain.add(item.folder)
            elif item.role == "prefetch":
                for mapped in item.values["mapped_files"]:
                    Add(mapped)
            elif item.role in ("service", "service_install", "process"):
                if item.name in self._knowledge.client_file_names:
                    certain.add(item.folder)
        for folder, names in strong.items():
            if len(names) >= minimum:
                certain.add(folder)
        for folder in sorted(certain):
            if folder and "*" not in folder and not folder.startswith("\\?"):
                self.installations[folder] = Installation(folder)

    def _InstallationOf(self, path):
        if not path:
            return None
        folder = paths.Split(path)[0]
        installation = self.installations.get(folder)
        if installation is None and "*" in folder:
            for candidate_folder, candidate in self.installations.items():
                if paths.FolderMatches(candidate_folder, folder):
                    return candidate
        return installation

    # Step 2: the client binary, under its own name or another.

    def _FindClients(self, items):
        for item in items:
            installation = self._InstallationOf(item.path)
            if installation is None:
                if item.role == "prefetch":
                    self._PrefetchClient(item)
                continue
            name = item.name
            if item.role in ("file", "pe", "process", "execution_trace"):
                if name in self._knowledge.client_file_names:
                    installation.client_names.add(name)
                elif name.endswith(".exe") and name not in self._kit_names:
                    if item.role == "pe" and item.values.get("dll_name") != (
                        "pcicl32.dll"
                    ):
                        continue
                    installation.renamed_names.add(name)
            elif item.role == "prefetch":
                self._PrefetchClient(item)

    def _PrefetchClient(self, item):
        executable = item.values["executable"]
        for mapped in item.values["mapped_files"]:
            folder, name = paths.Split(mapped)
            installation = self.installations.get(folder)
            if installation is None or name != "pcicl32.dll":
                continue
            if executable in self._knowledge.client_file_names:
                installation.client_names.add(executable)
            elif executable not in self._kit_names:
                installation.renamed_names.add(executable)
            item.values["installation"] = installation

    # Step 3: evidence kinds per item.

    def Correlate(self, items):
        """Returns [(item, installation, kinds)] for every evidence item."""
        items = sorted(items, key=lambda item: min(item.timestamps or [0]))
        self._ResolveChangeJournalPaths(items)
        self._validated_paths = {
            item.path for item in items if item.role in ("config", "licence")
        }
        self._FindKitFolders(items)
        self._FindClients(items)

        evidence = []
        startup_links = {}
        netsupport_processes = {}
        logon_ids = set()
        deleted_names = {}
        pending = []

        for item in items:
            kinds, installation = self._Judge(
                item, startup_links, netsupport_processes, logon_ids, deleted_names
            )
            if kinds is None:
                pending.append(item)
            elif kinds:
                evidence.append((item, installation, kinds))

        # Items that depend on what was learnt from all the others.
        for item in pending:
            kinds, installation = self._JudgeLate(
                item, startup_links, logon_ids, deleted_names
            )
            if kinds:
                evidence.append((item, installation, kinds))
        return evidence

    def _Judge(self, item, startup_links, processes, logon_ids, deleted_names):
        role = item.role
        installation = self._InstallationOf(item.path)
        kinds = []
        if role in ("file", "pe", "usn"):
            if installation is None and item.path in self.installations:
                # The kit folder's own directory entry.
                installation = self.installations[item.path]
            if installation is None and item.values.get("directory"):
                installation = self._InstallationBelowVendorFolder(item)
            if installation is None:
                return None, None
            kinds.append("kit_file")
            if role != "usn":
                installation.files.add(item.name)
            if item.name in installation.renamed_names:
                kinds.append("renamed_client")
            if item.values.get("deleted"):
                kinds.append("file_deletion")
        elif role == "prefetch":
            installation = installation or item.values.get("installation")
            if installation is None:
                return [], None
            if item.values["executable"] not in (
                self._kit_names | installation.renamed_names
            ):
                return [], None
            kinds.append("execution")
            if item.values["executable"] in installation.renamed_names:
                kinds.append("renamed_client")
            installation.executions.append((min(item.timestamps), item.description))
        elif role == "execution_trace":
            if installation is None:
                return [], None
            kinds.append("execution")
            if item.name in installation.renamed_names:
                kinds.append("renamed_client")
        elif role == "run":
            for name, executable in item.values["entries"]:
                target = self._InstallationOf(executable)
                if target is not None or paths.Split(executable)[1] in (
                    self._knowledge.client_file_names
                ):
                    installation = target
                    kinds.append("autostart")
                    hive = (
                        "HKCU"
                        if "hkey_current_user" in str(item.values["key_path"]).lower()
                        else "HKLM"
                    )
                    if target is not None:
                        target.persistence.append(
                            f"{hive} Run value {name!r} -> {executable}"
                        )
                    break
        elif role == "lnk":
            target = self._InstallationOf(item.values["target"])
            if target is None:
                return [], None
            installation = target
            if _STARTUP_FOLDER in item.path:
                kinds.append("autostart")
                startup_links[item.path] = target
                target.persistence.append(
                    f"Startup shortcut {item.path} -> {item.values['target']}"
                )
            else:
                kinds.append("kit_file")
        elif role in ("service", "service_install"):
            name = str(
                item.values.get("service_name") or item.values.get("ServiceName") or ""
            ).lower()
            display_name = str(item.values.get("display_name") or "").lower()
            known = (
                self._knowledge.service_names | self._knowledge.service_display_names
            )
            if installation is None and not (
                name in known
                or display_name in known
                or item.name in self._knowledge.client_file_names
            ):
                return [], None
            kinds.append("service_key" if role == "service" else "service_install")
            if installation is not None:
                installation.services.add(
                    str(
                        item.values.get("service_name")
                        or item.values.get("ServiceName")
                    )
                )
        elif role == "service_control":
            kinds.append("service_control")
            installation = self._InstallationByService(item)
        elif role == "registry":
            kinds.append("registry_settings")
            installation = self.installations.get(
                item.values.get("install_directory") or ""
            ) or self._LegitimateInstallation()
        elif role == "config":
            kinds.append("configuration")
            if item.values.get("has_gateway_security_key"):
                kinds.append("gateway_security_key")
            self._LearnConfiguration(installation, item)
        elif role == "licence":
            kinds.append("configuration")
            if installation is not None:
                installation.licences.append(
                    (item.values.get("licensee"), item.values.get("serial_no"))
                )
        elif role == "process":
            return self._JudgeProcess(item, installation, processes, logon_ids)
        elif role == "script_block":
            kinds.append("script_block")
            text = item.values["text"].lower()
            if any(word in text for word in self._delete_words):
                kinds.append("file_deletion")
            installation = self._InstallationNamedIn(text)
            for reference in _REFERENCED_FILE.findall(text):
                name = paths.Split(paths.Normalise(reference))[1]
                if name:
                    deleted_names[name] = installation
        elif role in ("recycled", "privileges", "log_cleared", "sigma"):
            return None, None
        if installation is not None:
            installation.timestamps.extend(item.timestamps)
        return kinds, installation

    def _JudgeProcess(self, item, installation, processes, logon_ids):
        values = item.values
        computer = values.get("Computer")
        process_key = (computer, values.get("ProcessId"))
        creator_key = (computer, values.get("ParentProcessId"))
        parent = paths.Normalise(values.get("ParentProcessName"))
        parent_name = paths.Split(parent)[1]
        kinds = []
        if installation is not None or item.name in self._executable_kit_names:
            kinds.append("execution")
            if installation is not None and item.name in installation.renamed_names:
                kinds.append("renamed_client")
            if installation is not None:
                installation.executions.append(
                    (min(item.timestamps), f"process {item.path}")
                )
                if parent_name:
                    installation.parents.add(parent_name)
        elif creator_key in processes:
            installation = processes[creator_key]
            if item.name in self._shells:
                kinds.append("command_shell")
            elif item.name in self._powershell:
                kinds.append("powershell")
            else:
                kinds.append("child_process")
        else:
            return [], None
        processes[process_key] = installation
        for name in ("SubjectLogonId", "TargetLogonId"):
            logon_id = (values.get(name) or "").lower()
            if logon_id and logon_id not in ("0x0", "0x3e7"):
                logon_ids.add(logon_id)
        if installation is not None:
            installation.timestamps.extend(item.timestamps)
        return kinds, installation

    def _JudgeLate(self, item, startup_links, logon_ids, deleted_names):
        role = item.role
        if role in ("file", "pe", "usn"):
            if item.path in startup_links:
                return ["autostart"], startup_links[item.path]
            if item.name in deleted_names:
                # A file a NetSupport script block names (the kit archive).
                kind = "file_deletion" if item.values.get("deleted") else "related_file"
                return [kind], deleted_names[item.name]
            if item.path in self._validated_paths:
                # A licence or configuration our parsers read, with no kit
                # around it: NetSupport evidence, but no installation.
                return ["kit_file"], None
            return [], None
        if role == "recycled":
            installation = self._InstallationOf(item.path)
            if installation is not None or item.name in self._kit_names:
                return ["file_deletion"], installation
            return [], None
        if role == "privileges":
            if item.values["logon_id"] in logon_ids:
                return ["privileges"], None
            return [], None
        if role == "log_cleared":
            if self.installations:
                return ["log_cleared"], None
            return [], None
        if role == "sigma":
            return [], None
        return [], None

    # Helpers.

    def _InstallationBelowVendorFolder(self, item):
        """Returns the installation inside a vendor folder such as \\NetSupport."""
        if "netsupport" not in item.name:
            return None
        prefix = item.path + "\\"
        for folder, installation in self.installations.items():
            if folder.startswith(prefix):
                return installation
        return None

    def _InstallationByService(self, item):
        key_name = item.values.get("key_name") or ""
        for installation in self.installations.values():
            if key_name and key_name in {
                name.lower() for name in installation.services
            }:
                return installation
        return self._LegitimateInstallation()

    def _LegitimateInstallation(self):
        for folder, installation in self.installations.items():
            if self._legitimate.match(folder):
                return installation
        return None

    def _InstallationNamedIn(self, text):
        for folder, installation in self.installations.items():
            name = paths.Split(folder)[1]
            if name and len(name) >= 4 and name in text:
                return installation
        return None

    def _LearnConfiguration(self, installation, item):
        if installation is None:
            return
        values = item.values
        for host_name, port_name in (
            ("gateway", "gateway_port"),
            ("secondary_gateway", "secondary_port"),
        ):
            host = values.get(host_name)
            if host:
                port = values.get(port_name)
                gateway = f"{host}:{port}" if port else str(host)
                if gateway not in installation.gateways:
                    installation.gateways.append(gateway)
        if values.get("has_gateway_security_key"):
            installation.security_key = True
        stealth = []
        if values.get("silent"):
            stealth.append("silent mode")
        if values.get("systray_hidden"):
            stealth.append("tray icon hidden")
        if values.get("hide_when_idle"):
            stealth.append("hidden when idle")
        disabled = values.get("disabled_features") or []
        if disabled:
            stealth.append(f"{len(disabled):d} user controls disabled")
        for entry in stealth:
            if entry not in installation.stealth:
                installation.stealth.append(entry)

    # Step 4: verdicts.

    def Judge(self, today=None):
        """Gives every installation its verdict and reasons."""
        for installation in self.installations.values():
            strong, medium, benign = [], [], []
            folder = installation.folder
            if self._legitimate.match(folder):
                benign.append("installed in a NetSupport program folder")
            elif self._drop.match(folder):
                strong.append(f"kit in a user-writable drop location ({folder})")
            else:
                strong.append(f"kit outside Program Files ({folder})")
            for name in sorted(installation.renamed_names):
                strong.append(f"client binary renamed to {name}")
            if installation.stealth:
                medium.append("stealth settings: " + ", ".join(installation.stealth))
            for gateway in installation.gateways:
                host = gateway.rsplit(":", 1)[0].lower()
                if not host.endswith(self._vendor_domains):
                    medium.append(f"phones home to gateway {gateway}")
                    break
            for entry in installation.persistence:
                if entry.startswith(("HKCU", "Startup")):
                    strong.append(f"user-level persistence: {entry}")
            for parent in sorted(installation.parents & self._script_hosts):
                strong.append(f"started by a script or Office host ({parent})")
            for licensee, serial in installation.licences:
                for abused in self._abused_licences:
                    if (abused.get("licensee") or "").lower() == str(
                        licensee or ""
                    ).lower() and abused.get("licensee"):
                        strong.append(f"licence of a known RAT campaign ({licensee})")
                    elif abused.get("serial") and abused["serial"] == serial:
                        strong.append(
                            f"licence serial of a known RAT campaign ({serial})"
                        )
            if installation.services:
                benign.append(
                    "runs as service " + ", ".join(sorted(installation.services))
                )
            if strong or len(medium) >= 2:
                installation.verdict = SUSPICIOUS
            installation.reasons = strong + medium + benign
            if self._allowlist is not None:
                reason = self._allowlist.Match(installation, today=today)
                if reason:
                    installation.verdict = ALLOWLISTED
                    installation.allowlist_reason = reason
