"""Kit folders: where the installations are, and what belongs to each.

An installation is a folder that holds the NetSupport kit: its configuration,
a binary whose own evidence says it is the client (identity.py), a service or
process started from it under a client file name, or at least
kit_folder_min_strong_files of the characteristic files (knowledge file).
KitFolders finds these folders, gives each installation its binaries, and
answers the lookups the item rules (evidence_kinds.py) need: the installation
of a path, of a service, named in a script, or the one in a legitimate
install location.
"""

import collections

from plaso_netsupport.analysis import identity as identity_module
from plaso_netsupport.analysis import model
from plaso_netsupport.analysis import paths


class KitFolders:
    """The installations, keyed by normalised folder, and lookups in them.

    Attributes:
      installations (dict[str, Installation]): installations by folder key.
    """

    def __init__(self, knowledge):
        self._knowledge = knowledge
        self._legitimate = paths.CompilePatterns(
            knowledge.data["legitimate_install_paths"]
        )
        self._drop = paths.CompilePatterns(knowledge.data["drop_locations"])
        self.installations = {}

    # Finding the kit folders.

    def Find(self, items, identity):
        """Creates an installation for every kit folder of the items.

        Args:
          items (list[Item]): the collector's items.
          identity (IdentityEvidence): identity evidence already collected.
        """
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
        for path, codes in identity.codes.items():
            if codes & identity_module.OWN_FILE_EVIDENCE:
                # The binary's own file (or its Amcache entry) says it is the
                # client: its folder is a kit folder whatever else is there.
                certain.add(paths.Split(path)[0])
        for folder, names in strong.items():
            if len(names) >= minimum:
                certain.add(folder)
        for folder in sorted(certain):
            if folder and "*" not in folder and not folder.startswith("\\?"):
                self.installations[folder] = model.Installation(folder)

    def FindBinaries(self, items, identity):
        """Gives every installation its binaries with their identities.

        Args:
          items (list[Item]): the collector's items.
          identity (IdentityEvidence): identity evidence already collected.
        """
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
                installation = self.InstallationOf(item.path)
                if installation is not None and "*" not in item.path:
                    binary_paths[installation.folder].add(item.path)
        for path in identity.codes:
            installation = self.InstallationOf(path)
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
                binary_identity, codes = identity.IdentityOf(path)
                installation.binaries.append(
                    model.Binary(
                        path=path,
                        name=paths.Split(path)[1],
                        identity=binary_identity,
                        identity_evidence=codes,
                        items=list(identity.items.get(path, [])),
                        signers=sorted(identity.signers.get(path, ())),
                    )
                )
                if set(codes) - {"kit_file_name"}:
                    installation.validated = True

    # Lookups.

    def InstallationOf(self, path):
        """Returns the installation whose folder holds a path, or None."""
        if not path:
            return None
        folder = paths.Split(path)[0]
        installation = self.installations.get(folder)
        if installation is None and "*" in folder:
            for candidate_folder, candidate in self.installations.items():
                if paths.FolderMatches(candidate_folder, folder):
                    return candidate
        return installation

    def MayHoldKit(self, item):
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

    def BelowVendorFolder(self, item):
        """Returns the installation inside a vendor folder such as \\NetSupport."""
        if "netsupport" not in item.name:
            return None
        prefix = item.path + "\\"
        for folder, installation in self.installations.items():
            if folder.startswith(prefix):
                return installation
        return None

    def ByService(self, item):
        """Returns the installation that runs the service an item controls."""
        key_name = item.values.get("key_name") or ""
        for installation in self.installations.values():
            if key_name and key_name in {
                name.lower() for name in installation.services
            }:
                return installation
        return self.Legitimate()

    def Legitimate(self):
        """Returns the installation in a legitimate install location, or None."""
        for folder, installation in self.installations.items():
            if self._legitimate.match(folder + "\\"):
                return installation
        return None

    def NamedIn(self, text):
        """Returns the installation whose folder name a (lower-case) text holds."""
        for folder, installation in self.installations.items():
            name = paths.Split(folder)[1]
            if name and len(name) >= 4 and name in text:
                return installation
        return None
