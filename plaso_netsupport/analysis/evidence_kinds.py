"""The evidence kinds of each item, and the installation it ties to.

Once the kit folders are known (kit_folders.py), every item is judged in time
order: a file in a kit folder, a Run value or shortcut that starts a binary
there, a service whose image is there, a configuration or licence, a process
started from there and its children (followed by process and logon keys
until they exit), a PowerShell script block that names the kit. Items whose
kind depends on what the others show (a file a script names, the target of
a startup shortcut, privileges of a logon the kit used, a cleared log) are
judged again at the end (JudgeLate). The kinds are those of the knowledge
file's evidence_kinds; the analysis plugin turns them into labels.
"""

import re

from plaso_netsupport.analysis import collector as collector_module
from plaso_netsupport.analysis import configuration
from plaso_netsupport.analysis import paths

_STARTUP_FOLDER = "\\start menu\\programs\\startup"
_REFERENCED_FILE = re.compile(
    r"[\w.\-\\:$%]+\.(?:zip|7z|rar|cab|msi|exe|dll|ini|lic|js|ps1|bat)\b", re.I
)


class EvidenceKinds:
    """Judges the items of one correlation run, in time order."""

    def __init__(self, knowledge, kit_folders, validated_paths):
        """Initialises the rules.

        Args:
          knowledge (Knowledge): the knowledge file.
          kit_folders (KitFolders): the installations found.
          validated_paths (set[str]): paths of configurations and licences
              our parsers read.
        """
        self._knowledge = knowledge
        self._kit_folders = kit_folders
        self._installations = kit_folders.installations
        self._validated_paths = validated_paths
        data = knowledge.data
        self._kit_names = frozenset(knowledge.kit_files)
        self._executable_kit_names = frozenset(
            name for name in self._kit_names if name.endswith(".exe")
        )
        self._powershell = frozenset(data["powershell_images"])
        self._shells = frozenset(data["command_shell_images"])
        self._delete_words = collector_module.CompileTokens(
            data["script_block_actions"]["delete"]
        )
        self._dropper_extensions = frozenset(data.get("dropper_file_extensions") or [])
        # What the items seen so far taught.
        self._startup_links = {}
        self._processes = {}
        self._logon_ids = set()
        self._referenced_names = {}

    def Judge(self, item):
        """Returns (kinds, installation) of an item, in time order.

        Returns:
          tuple[list[str]|None, Installation|None]: kinds (None when the item
              must wait for JudgeLate) and the installation it ties to.
        """
        role = item.role
        kit_folders = self._kit_folders
        installation = kit_folders.InstallationOf(item.path)
        kinds = []
        if role in ("file", "pe", "usn", "version_info"):
            if installation is None and item.path in self._installations:
                # The kit folder's own directory entry.
                installation = self._installations[item.path]
            if installation is None and item.values.get("directory"):
                installation = kit_folders.BelowVendorFolder(item)
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
            installation = self._JudgeRun(item, kinds)
        elif role == "lnk":
            return self._JudgeShortcut(item)
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
            installation = kit_folders.ByService(item)
        elif role == "registry":
            kinds.append("registry_settings")
            installation = (
                self._installations.get(item.values.get("install_directory") or "")
                or kit_folders.Legitimate()
            )
        elif role == "config":
            kinds.append("configuration")
            if item.values.get("has_gateway_security_key"):
                kinds.append("gateway_security_key")
            configuration.LearnConfiguration(installation, item)
        elif role == "licence":
            kinds.append("configuration")
            if installation is not None:
                installation.licences.append(
                    (item.values.get("licensee"), item.values.get("serial_no"))
                )
                installation.licence_items.append(item)
                installation.validated = True
        elif role == "process":
            return self._JudgeProcess(item, installation)
        elif role == "process_end":
            self._EndProcesses(item)
            return [], None
        elif role == "script_block":
            kinds.append("script_block")
            text = item.values["text"]
            if self._delete_words.search(text):
                kinds.append("file_deletion")
            installation = kit_folders.NamedIn(text.lower())
            if installation is not None:
                installation.script_items.append(item)
            for reference in _REFERENCED_FILE.findall(text):
                name = paths.Split(paths.Normalise(reference))[1]
                if name:
                    self._referenced_names[name] = installation
        elif role in ("recycled", "privileges", "log_cleared", "sigma"):
            return None, None
        return kinds, installation

    def _JudgeRun(self, item, kinds):
        """A Run key: autostart of the first value that starts the kit."""
        for name, executable in item.values["entries"]:
            target = self._kit_folders.InstallationOf(executable)
            if target is not None or paths.Split(executable)[1] in (
                self._knowledge.client_file_names
            ):
                kinds.append("autostart")
                user_level = "hkey_current_user" in str(item.values["key_path"]).lower()
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
                return target
        return self._kit_folders.InstallationOf(item.path)

    def _JudgeShortcut(self, item):
        """A shortcut that starts the kit, directly or through a proxy."""
        kit_folders = self._kit_folders
        target = kit_folders.InstallationOf(item.values["target"])
        started = item.values.get("target_display") or item.values["target"]
        proxy = None
        if target is None:
            for launched, display in zip(
                item.values.get("launched") or [],
                item.values.get("launched_display") or [],
            ):
                target = kit_folders.InstallationOf(launched)
                if target is not None:
                    proxy = paths.Split(item.values["target"])[1]
                    started = display
                    break
        if target is None:
            return [], None
        if proxy:
            target.dropper_steps.append(
                (f"shortcut {item.name} starts it through {proxy}", item)
            )
        if _STARTUP_FOLDER in item.path:
            self._startup_links[item.path] = target
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
            return ["autostart"], target
        return ["related_file" if proxy else "kit_file"], target

    def _EndProcesses(self, item):
        """Forgets processes that exited, whose id was reused or logon ended."""
        keys = item.values.get("process_keys") or [item.values.get("process_key")]
        for key in keys:
            self._processes.pop(key, None)

    def _JudgeProcess(self, item, installation):
        processes = self._processes
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
                self._logon_ids.add(logon_id)
        return kinds, installation

    def JudgeLate(self, item):
        """Returns (kinds, installation) of an item Judge() left for the end."""
        role = item.role
        if role in ("file", "pe", "usn", "version_info"):
            if item.path in self._startup_links:
                return ["autostart"], self._startup_links[item.path]
            if item.name in self._referenced_names and self._kit_folders.MayHoldKit(
                item
            ):
                # A file a NetSupport script block names (the kit archive),
                # in a kit or drop folder: never a system file it launches.
                kind = "file_deletion" if item.values.get("deleted") else "related_file"
                return [kind], self._referenced_names[item.name]
            if item.path in self._validated_paths:
                # A licence or configuration our parsers read, with no kit
                # around it: NetSupport evidence, but no installation.
                return ["kit_file"], None
            return [], None
        if role == "recycled":
            installation = self._kit_folders.InstallationOf(item.path)
            if installation is not None or item.name in self._kit_names:
                return ["file_deletion"], installation
            return [], None
        if role == "privileges":
            if item.values["logon_id"] in self._logon_ids:
                return ["privileges"], None
            return [], None
        if role == "log_cleared":
            if self._installations:
                return ["log_cleared"], None
            return [], None
        return [], None
