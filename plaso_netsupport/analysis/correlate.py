"""Turns candidate items into installations, evidence kinds and verdicts.

Runs once, after the analysis has seen every event. An installation is a
folder that holds the NetSupport kit (its configuration, a binary whose own
evidence says it is the client, or enough of the characteristic files),
wherever it is and whatever the client binary is called. Every item is then
judged against the installations: a file in a kit folder, a Run value or
shortcut that starts a binary there, a service whose image is there, a
process started from there and its children, and so on.

Judge() then gives each installation its findings (reason codes with weights
from the knowledge file's verdict_reasons) and its verdict. The objects are
those of model.py.
"""

import collections
import ipaddress
import re

from plaso_netsupport.analysis import collector as collector_module
from plaso_netsupport.analysis import model
from plaso_netsupport.analysis import paths

SUSPICIOUS = model.SUSPICIOUS
SANCTIONED = model.SANCTIONED
ALLOWLISTED = model.ALLOWLISTED
WEAK = model.WEAK

Installation = model.Installation

_STARTUP_FOLDER = "\\start menu\\programs\\startup"
_REFERENCED_FILE = re.compile(
    r"[\w.\-\\:$%]+\.(?:zip|7z|rar|cab|msi|exe|dll|ini|lic|js|ps1|bat)\b", re.I
)

# Data types whose timestamps are run times of the executable.
_RUN_TIME_DATA_TYPES = frozenset(
    [
        "windows:prefetch:execution",
        "windows:evtx:record",
        "windows:registry:bam",
        "windows:registry:userassist",
    ]
)

# Identity evidence codes (model.Binary.identity_evidence).
_CLIENT_EVIDENCE = frozenset(
    [
        "pe_version_info",
        "imphash",
        "pe_import_pcicl32",
        "prefetch_pcicl32",
        "amcache",
        "starts_remcmdstub",
    ]
)
_INTERNAL_NETWORKS = [
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]
_VENDOR_EVIDENCE = frozenset(["pe_version_info_vendor", "amcache_vendor"])
_OWN_FILE_EVIDENCE = frozenset(
    ["pe_version_info", "imphash", "pe_import_pcicl32", "amcache"]
)


def _Stem(name):
    name = (name or "").strip().lower()
    return name[:-4] if name.endswith(".exe") else name


class _IdentityRules:
    """The client's identity, as the knowledge file's pe_identity gives it."""

    def __init__(self, knowledge):
        identity = knowledge.data["pe_identity"]
        self.companies = frozenset(
            name.lower().rstrip(".") for name in identity["company_names"]
        )
        self.client_stems = frozenset(
            _Stem(name) for name in identity["client_original_file_names"]
        )
        self.client_descriptions = frozenset(
            name.lower() for name in identity["client_descriptions"]
        )
        self.imphashes = frozenset(name.lower() for name in identity["imphashes"])
        self.imports = frozenset(name.lower() for name in identity["client_imports"])
        self.children = frozenset(name.lower() for name in identity["client_children"])

    def IsVendor(self, company):
        """Determines if a company name is NetSupport Ltd's."""
        return (company or "").strip().lower().rstrip(".") in self.companies

    def VersionInfoEvidence(self, values):
        """Returns the identity code of PE version information, or None."""
        if not self.IsVendor(values.get("company_name")):
            return None
        if (
            _Stem(values.get("original_filename")) in self.client_stems
            or _Stem(values.get("internal_name")) in self.client_stems
        ):
            return "pe_version_info"
        if (
            not values.get("original_filename")
            and (values.get("file_description") or "").lower()
            in self.client_descriptions
        ):
            return "pe_version_info"
        return "pe_version_info_vendor"

    def AmcacheEvidence(self, values):
        """Returns the identity code of an Amcache entry, or None."""
        if not self.IsVendor(values.get("company_name")):
            return None
        if (values.get("file_description") or "").lower() in self.client_descriptions:
            return "amcache"
        return "amcache_vendor"


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
        self._identity = _IdentityRules(knowledge)
        self._legitimate = paths.CompilePatterns(data["legitimate_install_paths"])
        self._drop = paths.CompilePatterns(data["drop_locations"])
        self._script_hosts = frozenset(data["script_hosts"]) | frozenset(
            data["office_hosts"]
        )
        self._powershell = frozenset(data["powershell_images"])
        self._shells = frozenset(data["command_shell_images"])
        actions = data["script_block_actions"]
        self._delete_words = collector_module.CompileTokens(actions["delete"])
        self._dropper_words = collector_module.CompileTokens(
            actions["fetch"] + actions["unpack"] + actions["start"]
        )
        self._vendor_domains = tuple(name.lower() for name in data["vendor_domains"])
        self._internal_suffixes = tuple(
            name.lower() for name in data.get("internal_gateway_suffixes") or []
        )
        self._abused_licences = data.get("abused_licences") or []
        self._dropper_extensions = frozenset(data.get("dropper_file_extensions") or [])
        self._reasons = data["verdict_reasons"]
        self._threshold = int(data.get("verdict_threshold", 3))
        self._merge_microseconds = int(data.get("execution_merge_seconds", 10)) * (
            1000000
        )
        self._validated_paths = set()
        self._identity_evidence = collections.defaultdict(set)
        self._identity_items = collections.defaultdict(list)
        self._signers = collections.defaultdict(set)
        self._evidence_ids = set()
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

    # Step 1: what each binary's own evidence says it is.

    def _CollectIdentityEvidence(self, items):
        """Gathers identity evidence per binary path (lower case)."""
        evidence = self._identity_evidence
        for item in items:
            code = None
            path = item.path
            if item.role == "version_info":
                code = self._identity.VersionInfoEvidence(item.values)
                for name in ("signer_common_name", "signer_subject"):
                    if item.values.get(name):
                        self._signers[path].add(item.values[name])
            elif item.role == "pe":
                if item.values.get("imphash") in self._identity.imphashes:
                    code = "imphash"
                elif item.values.get("dll_name") in self._identity.imports:
                    code = "pe_import_pcicl32"
            elif (
                item.role == "execution_trace"
                and item.data_type == "windows:registry:amcache"
            ):
                code = self._identity.AmcacheEvidence(item.values)
            elif item.role == "prefetch":
                executable = item.values["executable"]
                for mapped in item.values["mapped_files"]:
                    folder, name = paths.Split(mapped)
                    if name in self._identity.imports and folder:
                        # Where the executable ran from: its path hint, else the
                        # folder of the client library it loaded.
                        path = item.path
                        if path.startswith("\\?\\"):
                            path = f"{folder}\\{executable}"
                        item.values["client_library_folder"] = folder
                        code = "prefetch_pcicl32"
                        break
            elif item.role == "process":
                if item.name in self._identity.children:
                    parent = paths.Normalise(item.values.get("ParentProcessName"))
                    if parent:
                        path = parent
                        code = "starts_remcmdstub"
            if code and path:
                evidence[path].add(code)
                self._identity_items[path].append(item)

    def _IdentityOf(self, path):
        """Returns (identity, evidence codes) of a binary path."""
        name = paths.Split(path)[1]
        codes = set(self._identity_evidence.get(path, ()))
        if "pe_version_info" in codes:
            identity = model.IDENTITY_CLIENT
        elif "pe_version_info_vendor" in codes:
            identity = model.IDENTITY_VENDOR
        elif name in self._knowledge.client_file_names:
            identity = model.IDENTITY_CLIENT
            codes.add("kit_file_name")
        elif name in self._executable_kit_names:
            # A vendor file by its kit name; import or prefetch evidence of
            # the client library does not make it the client.
            identity = model.IDENTITY_VENDOR
            codes.add("kit_file_name")
        elif codes & _CLIENT_EVIDENCE:
            identity = model.IDENTITY_CLIENT
        elif codes & _VENDOR_EVIDENCE:
            identity = model.IDENTITY_VENDOR
        else:
            identity = model.IDENTITY_UNIDENTIFIED
        if (
            identity == model.IDENTITY_CLIENT
            and name not in self._knowledge.client_file_names
        ):
            identity = model.IDENTITY_RENAMED_CLIENT
        return identity, sorted(codes)

    # Step 2: kit folders.

    def _FindKitFolders(self, items):
        strong = collections.defaultdict(set)
        certain = set()
        minimum = self._knowledge.data["kit_folder_min_strong_files"]

        def Add(path):
            folder, name = paths.Split(path)
            if name in self._knowledge.strong_kit_file_names:
                strong[folder].add(name)

        for item in items:
            if item.role in ("file", "pe", "version_info") and not item.values.get(
                "directory"
            ):
                Add(item.path)
            elif item.role == "config":
                certain.add(item.folder)
            elif item.role == "prefetch":
                for mapped in item.values["mapped_files"]:
                    Add(mapped)
            elif item.role in ("service", "service_install", "process"):
                if item.name in self._knowledge.client_file_names:
                    certain.add(item.folder)
        for path, codes in self._identity_evidence.items():
            if codes & _OWN_FILE_EVIDENCE:
                # The binary's own file (or its Amcache entry) says it is the
                # client: its folder is a kit folder whatever else is there.
                certain.add(paths.Split(path)[0])
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

    # Step 3: the binaries of each installation.

    def _FindBinaries(self, items):
        binary_paths = collections.defaultdict(set)
        for item in items:
            if item.role in (
                "file",
                "pe",
                "version_info",
                "process",
                "execution_trace",
            ) or (item.role == "prefetch" and not item.path.startswith("\\?\\")):
                if not item.name.endswith(".exe") or item.values.get("directory"):
                    continue
                installation = self._InstallationOf(item.path)
                if installation is not None and "*" not in item.path:
                    binary_paths[installation.folder].add(item.path)
        for path in self._identity_evidence:
            installation = self._InstallationOf(path)
            if installation is not None and path.endswith(".exe"):
                binary_paths[installation.folder].add(path)
        for item in items:
            if item.role == "prefetch" and item.values.get("client_library_folder"):
                folder = item.values["client_library_folder"]
                if folder in self.installations:
                    path = f"{folder}\\{item.values['executable']}"
                    if item.path.startswith("\\?\\"):
                        binary_paths[folder].add(path)
                        item.values["installation"] = self.installations[folder]
        for folder, binary_set in binary_paths.items():
            installation = self.installations[folder]
            for path in sorted(binary_set):
                identity, codes = self._IdentityOf(path)
                installation.binaries.append(
                    model.Binary(
                        path=path,
                        name=paths.Split(path)[1],
                        identity=identity,
                        identity_evidence=codes,
                        items=list(self._identity_items.get(path, [])),
                        signers=sorted(self._signers.get(path, ())),
                    )
                )
                if set(codes) - {"kit_file_name"}:
                    installation.validated = True

    # Step 4: evidence kinds per item.

    def Correlate(self, items):
        """Returns [(item, installation, kinds)] for every evidence item.

        Args:
          items (Iterable[Item]): the collector's items.

        Returns:
          list[tuple[Item, Installation|None, list[str]]]: evidence items with
              the installation they tie to and their evidence kinds.
        """
        items = sorted(items, key=lambda item: min(item.timestamps or [0]))
        self._ResolveChangeJournalPaths(items)
        self._validated_paths = {
            item.path for item in items if item.role in ("config", "licence")
        }
        self._CollectIdentityEvidence(items)
        self._FindKitFolders(items)
        self._FindBinaries(items)

        evidence = []
        startup_links = {}
        netsupport_processes = {}
        logon_ids = set()
        referenced_names = {}
        pending = []

        for item in items:
            kinds, installation = self._Judge(
                item, startup_links, netsupport_processes, logon_ids, referenced_names
            )
            if kinds is None:
                pending.append(item)
            elif kinds:
                evidence.append((item, installation, kinds))

        # Items that depend on what was learnt from all the others.
        for item in pending:
            kinds, installation = self._JudgeLate(
                item, startup_links, logon_ids, referenced_names
            )
            if kinds:
                evidence.append((item, installation, kinds))

        for item, installation, _ in evidence:
            self._evidence_ids.add(id(item))
            if installation is not None:
                installation.evidence_items.append(item)
        for installation in self.installations.values():
            self._Summarise(installation)
        return evidence

    def _Judge(self, item, startup_links, processes, logon_ids, referenced_names):
        role = item.role
        installation = self._InstallationOf(item.path)
        kinds = []
        if role in ("file", "pe", "usn", "version_info"):
            if installation is None and item.path in self.installations:
                # The kit folder's own directory entry.
                installation = self.installations[item.path]
            if installation is None and item.values.get("directory"):
                installation = self._InstallationBelowVendorFolder(item)
            if installation is None:
                return None, None
            if item.name.rpartition(".")[2] in self._dropper_extensions:
                # A script next to the kit is its dropper, not NetSupport.
                kinds.append(
                    "file_deletion" if item.values.get("deleted") else "related_file"
                )
                return kinds, installation
            kinds.append("kit_file")
            if role != "usn" and item.folder == installation.folder:
                installation.files.add(item.name)
                installation.kit_files.setdefault(item.path, item.display_path)
            if item.name in installation.renamed_names:
                kinds.append("renamed_client")
            if item.values.get("deleted"):
                kinds.append("file_deletion")
        elif role == "prefetch":
            installation = installation or item.values.get("installation")
            if installation is None:
                return [], None
            # A run of a kit file or of any binary of the installation.
            if item.values["executable"] not in self._kit_names and not any(
                binary.name.lower() == item.values["executable"]
                for binary in installation.binaries
            ):
                return [], None
            kinds.append("execution")
            if item.values["executable"] in installation.renamed_names:
                kinds.append("renamed_client")
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
                    user_level = (
                        "hkey_current_user" in str(item.values["key_path"]).lower()
                    )
                    hive = "HKCU" if user_level else "HKLM"
                    if target is not None:
                        target.persistence.append(
                            f"{hive} Run value {name!r} -> {executable}"
                        )
                        target.persistence_entries.append(
                            {
                                "kind": "run_key",
                                "where": str(item.values["key_path"]),
                                "value": name,
                                "user_level": user_level,
                                "items": [item],
                            }
                        )
                    break
        elif role == "lnk":
            target = self._InstallationOf(item.values["target"])
            started = item.values.get("target_display") or item.values["target"]
            proxy = None
            if target is None:
                for launched, display in zip(
                    item.values.get("launched") or [],
                    item.values.get("launched_display") or [],
                ):
                    target = self._InstallationOf(launched)
                    if target is not None:
                        proxy = paths.Split(item.values["target"])[1]
                        started = display
                        break
            if target is None:
                return [], None
            installation = target
            if proxy:
                target.dropper_steps.append(
                    (f"shortcut {item.name} starts it through {proxy}", item)
                )
            if _STARTUP_FOLDER in item.path:
                kinds.append("autostart")
                startup_links[item.path] = target
                target.persistence.append(
                    f"Startup shortcut {item.path} -> {item.values['target']}"
                )
                target.persistence_entries.append(
                    {
                        "kind": "startup_shortcut",
                        "where": item.display_path or item.path,
                        "value": started,
                        "user_level": item.path.startswith("\\users\\"),
                        "items": [item],
                    }
                )
            else:
                kinds.append("related_file" if proxy else "kit_file")
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
                installation.service_items.append(item)
        elif role == "service_control":
            kinds.append("service_control")
            installation = self._InstallationByService(item)
        elif role == "registry":
            kinds.append("registry_settings")
            installation = (
                self.installations.get(item.values.get("install_directory") or "")
                or self._LegitimateInstallation()
            )
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
                installation.licence_items.append(item)
                installation.validated = True
        elif role == "process":
            return self._JudgeProcess(item, installation, processes, logon_ids)
        elif role == "process_end":
            self._EndProcesses(item, processes)
            return [], None
        elif role == "script_block":
            kinds.append("script_block")
            text = item.values["text"]
            if self._delete_words.search(text):
                kinds.append("file_deletion")
            installation = self._InstallationNamedIn(text.lower())
            if installation is not None:
                installation.script_items.append(item)
            for reference in _REFERENCED_FILE.findall(text):
                name = paths.Split(paths.Normalise(reference))[1]
                if name:
                    referenced_names[name] = installation
        elif role in ("recycled", "privileges", "log_cleared", "sigma"):
            return None, None
        return kinds, installation

    def _EndProcesses(self, item, processes):
        """Forgets processes that exited, whose id was reused or logon ended."""
        keys = item.values.get("process_keys") or [item.values.get("process_key")]
        for key in keys:
            processes.pop(key, None)

    def _JudgeProcess(self, item, installation, processes, logon_ids):
        values = item.values
        process_key = values.get("process_key")
        creator_key = values.get("creator_key")
        # A new process with the id of an earlier one ends that one's chain.
        processes.pop(process_key, None)
        parent = paths.Normalise(values.get("ParentProcessName"))
        parent_name = paths.Split(parent)[1]
        kinds = []
        if installation is not None or item.name in self._executable_kit_names:
            kinds.append("execution")
            if installation is not None and item.name in installation.renamed_names:
                kinds.append("renamed_client")
            if installation is not None and parent_name:
                installation.parents.add(parent_name)
                installation.parent_paths.add(
                    paths.Display(values.get("ParentProcessName"), "")
                )
                installation.parent_items.append(item)
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
        return kinds, installation

    def _JudgeLate(self, item, startup_links, logon_ids, referenced_names):
        role = item.role
        if role in ("file", "pe", "usn", "version_info"):
            if item.path in startup_links:
                return ["autostart"], startup_links[item.path]
            if item.name in referenced_names and self._MayHoldKit(item):
                # A file a NetSupport script block names (the kit archive),
                # in a kit or drop folder: never a system file it launches.
                kind = "file_deletion" if item.values.get("deleted") else "related_file"
                return [kind], referenced_names[item.name]
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
        return [], None

    # Helpers.

    def _MayHoldKit(self, item):
        """Determines if a file is in a kit folder or a drop location.

        A change-journal record whose folder is unknown qualifies only for
        names that are no program (an archive, script or kit file): a
        dropper names system programs it launches, and those are no kit.
        """
        path, folder = item.path, item.folder
        if not path:
            return item.values.get("file_name", "").rpartition(".")[2] not in (
                "exe",
                "dll",
                "com",
                "scr",
                "sys",
            )
        if "*" in folder or folder.startswith("\\?"):
            return False
        if folder in self.installations:
            return True
        if path.startswith("\\windows\\") and not path.startswith("\\windows\\temp\\"):
            return False
        return bool(self._drop.match(path))

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
            if self._legitimate.match(folder + "\\"):
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
            installation.settings["silent"] = self._Setting(settings, "silent", "1")
        if values.get("systray_hidden"):
            stealth.append("tray icon hidden")
            installation.settings["SysTray"] = self._Setting(settings, "systray", "0")
        if values.get("hide_when_idle"):
            stealth.append("hidden when idle")
            installation.settings["HideWhenIdle"] = self._Setting(
                settings, "hidewhenidle", "1"
            )
        if values.get("show_ui_on_connect") is False:
            stealth.append("no user interface on connect")
            installation.settings["ShowUIOnConnect"] = self._Setting(
                settings, "showuionconnect", "0"
            )
        for entry in stealth:
            if entry not in installation.stealth:
                installation.stealth.append(entry)
        for feature in values.get("disabled_features") or []:
            feature = str(feature)
            if feature not in installation.admin_locks:
                installation.admin_locks.append(feature)

    @staticmethod
    def _Setting(settings, key, default):
        return settings.get(key, ("", default))[1].strip() or default

    # Step 5: what the evidence of each installation says.

    def _Summarise(self, installation):
        """Fills executions, activity and preserved times, display paths."""
        display = ""
        drive = ""
        for item in installation.evidence_items:
            if not item.display_path or item.folder != installation.folder:
                continue
            folder_display = item.display_path.rpartition("\\")[0]
            if folder_display[1:2] == ":":
                drive = drive or folder_display[:2]
                folder_display = folder_display[2:]
            if item.role in ("file", "pe", "version_info") and (
                not display or display.lower() == display
            ):
                display = folder_display
            elif not display:
                display = folder_display
        if not display or display.lower() != installation.folder:
            display = paths.Display(installation.folder, default_drive="")
        installation.folder_display = (drive or "C:") + display
        for binary in installation.binaries:
            binary_display = installation.kit_files.get(binary.path) or ""
            name = binary_display.rpartition("\\")[2] or binary.name
            binary.name = name
            binary.path = f"{installation.folder_display}\\{name}"

        # Executions: run times of the installation's binaries, one per run.
        runs = []
        binary_names = {binary.name.lower() for binary in installation.binaries}
        for item in installation.evidence_items:
            if item.data_type not in _RUN_TIME_DATA_TYPES:
                continue
            if item.role == "prefetch":
                if item.values["executable"] not in binary_names | self._kit_names:
                    continue
            elif item.role == "process":
                if item.folder != installation.folder:
                    continue
            elif item.role != "execution_trace":
                continue
            for timestamp in item.timestamps:
                if timestamp:
                    runs.append((timestamp, item))
        runs.sort(key=lambda run: run[0])
        executions = []
        for timestamp, item in runs:
            if (
                executions
                and timestamp - executions[-1].timestamp <= self._merge_microseconds
            ):
                if item not in executions[-1].items:
                    executions[-1].items.append(item)
                continue
            description = (
                item.description
                if item.role == "prefetch"
                else f"process {item.display_path or item.path}"
            )
            executions.append(model.Execution(timestamp, [item], description))
        installation.executions = executions

        # Activity on this system versus times the kit carries from elsewhere.
        activity, preserved = [], []
        creation = {}
        for item in installation.evidence_items:
            if not item.path or item.data_type.startswith("pe_coff:"):
                continue
            for timestamp, description in zip(
                item.timestamps, item.timestamp_descriptions
            ):
                if timestamp and "creation" in description.lower():
                    creation[item.path] = min(
                        timestamp, creation.get(item.path, timestamp)
                    )
        for item in installation.evidence_items:
            if item.path and (installation.folder + "\\").startswith(item.path + "\\"):
                # The kit folder's own entry (or a vendor folder above it)
                # may be older than the kit: %TEMP%, a reused folder.
                continue
            for timestamp, description in zip(
                item.timestamps, item.timestamp_descriptions
            ):
                if not timestamp:
                    continue
                if self._IsPreserved(
                    item, timestamp, description, creation.get(item.path)
                ):
                    preserved.append(timestamp)
                else:
                    activity.append(timestamp)
        installation.timestamps = activity
        if activity:
            installation.activity_first = min(activity)
            installation.activity_last = max(activity)
        if preserved:
            installation.preserved_first = min(preserved)
            installation.preserved_last = max(preserved)

    @staticmethod
    def _IsPreserved(item, timestamp, description, creation):
        """Determines if a time comes with the kit rather than from this system.

        PE compile, link and signing times, licence generation times and file
        modification times older than the file's creation here (kept by the
        archive the kit was unpacked from).

        Args:
          item (Item): item.
          timestamp (int): one of its timestamps.
          description (str): that timestamp's description.
          creation (int|None): earliest creation time of the item's file.
        """
        data_type = item.data_type
        description = description.lower()
        if (
            data_type.startswith("pe_coff:")
            or data_type == "netsupport:pe:version_info"
        ):
            return True
        if "link" in description and data_type.startswith("windows:registry:amcache"):
            return True
        if data_type.startswith("netsupport:nsm_lic") and "generat" in description:
            return True
        if (
            "modification" in description
            and creation is not None
            and timestamp < creation
        ):
            return True
        return False

    # Step 6: verdicts.

    def _Finding(self, code, parameters, items=()):
        reason = self._reasons[code]
        direction = reason["direction"]
        weight = int(reason.get("weight") or 0) if direction == "suspicious" else 0
        formatted = {
            key: (
                ", ".join(str(part) for part in value)
                if isinstance(value, (list, tuple))
                else value
            )
            for key, value in parameters.items()
        }
        try:
            text = reason["text"].format(**formatted)
        except (KeyError, IndexError, ValueError):
            text = code
        unique, seen = [], set()
        for item in items:
            # Only tagged items: every supporting item is in the evidence list.
            if id(item) in self._evidence_ids and id(item) not in seen:
                seen.add(id(item))
                unique.append(item)
        return model.Finding(code, direction, weight, dict(parameters), text, unique)

    def _GatewayClass(self, gateway):
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

    def _Findings(self, installation):
        findings = []
        folder = installation.folder
        folder_display = installation.folder_display
        user_autostart = [
            entry for entry in installation.persistence_entries if entry["user_level"]
        ]
        autostart_text = [
            f"{entry['where']} {entry['value']}".strip() for entry in user_autostart
        ]
        autostart_items = [item for entry in user_autostart for item in entry["items"]]
        folder_items = [
            item
            for item in installation.evidence_items
            if item.path == folder or item.role == "config"
        ][:1]
        if self._legitimate.match(folder + "\\"):
            findings.append(
                self._Finding(
                    "program_files_location", {"folder": folder_display}, folder_items
                )
            )
            if user_autostart:
                findings.append(
                    self._Finding(
                        "user_autostart", {"autostart": autostart_text}, autostart_items
                    )
                )
        elif self._drop.match(folder + "\\"):
            if user_autostart:
                findings.append(
                    self._Finding(
                        "user_writable_autostart",
                        {"folder": folder_display, "autostart": autostart_text},
                        folder_items + autostart_items,
                    )
                )
            else:
                findings.append(
                    self._Finding(
                        "user_writable_location",
                        {"folder": folder_display},
                        folder_items,
                    )
                )
        else:
            findings.append(
                self._Finding(
                    "outside_program_files", {"folder": folder_display}, folder_items
                )
            )
            if user_autostart:
                findings.append(
                    self._Finding(
                        "user_autostart", {"autostart": autostart_text}, autostart_items
                    )
                )

        renamed = [
            binary
            for binary in installation.binaries
            if binary.identity == model.IDENTITY_RENAMED_CLIENT
        ]
        if renamed:
            evidence = sorted(
                {
                    code
                    for binary in renamed
                    for code in binary.identity_evidence
                    if code != "kit_file_name"
                }
            )
            findings.append(
                self._Finding(
                    "renamed_client",
                    {
                        "names": sorted(binary.name for binary in renamed),
                        "evidence": evidence,
                    },
                    [item for binary in renamed for item in binary.items],
                )
            )

        settings = installation.settings
        silent = "silent" in settings
        hidden = [
            name for name in ("SysTray", "HideWhenIdle", "ShowUIOnConnect")
            if name in settings
        ]  # fmt: skip
        stealth_settings = [f"{name}={value}" for name, value in settings.items()]
        if silent and hidden:
            findings.append(
                self._Finding(
                    "stealth_cluster",
                    {"settings": stealth_settings},
                    installation.config_items,
                )
            )
        elif stealth_settings:
            findings.append(
                self._Finding(
                    "stealth_setting",
                    {"settings": stealth_settings},
                    installation.config_items,
                )
            )
        if installation.admin_locks:
            findings.append(
                self._Finding(
                    "admin_locks",
                    {"settings": sorted(installation.admin_locks)},
                    installation.config_items,
                )
            )

        classes = collections.defaultdict(list)
        for gateway in installation.gateways:
            classes[self._GatewayClass(gateway)].append(gateway)
        for gateway_class, code in (
            ("external", "gateway_external"),
            ("internal", "gateway_internal"),
            ("vendor", "gateway_vendor"),
        ):
            if classes.get(gateway_class):
                findings.append(
                    self._Finding(
                        code,
                        {"gateways": classes[gateway_class]},
                        installation.config_items,
                    )
                )
        if installation.security_key:
            findings.append(
                self._Finding("gateway_security_key", {}, installation.config_items)
            )

        chain, chain_items = [], []
        for parent in sorted(installation.parents & self._script_hosts):
            chain.append(parent)
            chain_items.extend(
                item
                for item in installation.parent_items
                if paths.Split(paths.Normalise(item.values.get("ParentProcessName")))[1]
                == parent
            )
        for step, item in installation.dropper_steps:
            chain.append(step)
            chain_items.append(item)
        for item in installation.script_items:
            match = self._dropper_words.search(item.values["text"])
            if match:
                chain.append(f"PowerShell script block ({match.group(0).strip()})")
                chain_items.append(item)
        if chain:
            findings.append(
                self._Finding("dropper_chain", {"chain": chain}, chain_items)
            )

        campaign = []
        for licensee, serial in installation.licences:
            for abused in self._abused_licences:
                if (
                    abused.get("licensee")
                    and str(abused["licensee"]).lower()
                    == str(licensee or "").lower().strip()
                ):
                    campaign.append(f"licensee {licensee}")
                elif abused.get("serial") and str(abused["serial"]) == str(serial):
                    campaign.append(f"serial {serial}")
        if campaign:
            findings.append(
                self._Finding(
                    "campaign_licence",
                    {"licences": sorted(set(campaign))},
                    installation.licence_items,
                )
            )

        if installation.services:
            findings.append(
                self._Finding(
                    "runs_as_service",
                    {"services": sorted(installation.services)},
                    installation.service_items,
                )
            )
        if installation.signers:
            findings.append(
                self._Finding(
                    "signed_by",
                    {"signers": sorted(installation.signers)},
                    [
                        item
                        for binary in installation.binaries
                        for item in binary.items
                        if item.role == "version_info"
                    ],
                )
            )
        for identity, code in (
            (model.IDENTITY_UNIDENTIFIED, "unidentified_binary"),
            (model.IDENTITY_VENDOR, "vendor_binary"),
        ):
            names = sorted(
                binary.name
                for binary in installation.binaries
                if binary.identity == identity
            )
            if names:
                findings.append(self._Finding(code, {"names": names}))
        return findings

    def _IsNameOnly(self, installation):
        """Determines if only file names tie the installation to NetSupport."""
        return not (
            installation.validated
            or installation.executions
            or installation.services
            or installation.persistence_entries
            or installation.parents
            or installation.script_items
            or any(item.role == "registry" for item in installation.evidence_items)
        )

    def Judge(self, today=None):
        """Gives every installation its findings, score and verdict.

        Args:
          today (Optional[datetime.date]): date allowlist review dates are
              compared with; today when None.
        """
        for installation in self.installations.values():
            findings = self._Findings(installation)
            name_only = self._IsNameOnly(installation)
            if name_only:
                findings.append(
                    self._Finding(
                        "name_only",
                        {
                            "files": sorted(
                                display.rpartition("\\")[2]
                                for display in installation.kit_files.values()
                            )
                        },
                        installation.evidence_items,
                    )
                )
            installation.score = sum(
                finding.weight
                for finding in findings
                if finding.direction == model.DIRECTION_SUSPICIOUS
            )
            if name_only:
                installation.verdict = WEAK
            elif installation.score >= self._threshold:
                installation.verdict = SUSPICIOUS
            else:
                installation.verdict = SANCTIONED
            if self._allowlist is not None:
                entry, expired = self._allowlist.Evaluate(installation, today=today)
                for expired_entry in expired:
                    finding = self._Finding("allowlist_expired", expired_entry)
                    findings.append(finding)
                    note = f"{installation.folder_display}: {finding.text}"
                    if note not in self.notes:
                        self.notes.append(note)
                if entry is not None:
                    installation.verdict = ALLOWLISTED
                    installation.allowlist_entry = entry
                    findings.append(self._Finding("allowlisted", entry))
            order = {
                model.DIRECTION_SUSPICIOUS: 0,
                model.DIRECTION_BENIGN: 1,
                model.DIRECTION_INFO: 2,
            }
            findings.sort(
                key=lambda finding: (
                    order.get(finding.direction, 3),
                    -finding.weight,
                    finding.code,
                )
            )
            installation.findings = findings
