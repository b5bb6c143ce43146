"""Which binary is the NetSupport client, a vendor file or unidentified.

A binary's identity comes from its own evidence, never from its name alone
when there is more: PE version information (CompanyName NetSupport Ltd and a
client OriginalFilename or description), the import hash or an import of the
client library, a prefetch record showing it loaded the client library, its
Amcache entry, or its starting of a client child process. What counts is the
knowledge file's pe_identity section. The identity codes are those of
model.Binary.identity_evidence; the correlator (correlate.py) collects them
first, before it looks for kit folders.
"""

import collections

from plaso_netsupport.analysis import model
from plaso_netsupport.analysis import paths

# Identity evidence codes that make a binary the client.
CLIENT_EVIDENCE = frozenset(
    [
        "pe_version_info",
        "imphash",
        "pe_import_pcicl32",
        "prefetch_pcicl32",
        "amcache",
        "starts_remcmdstub",
    ]
)
# Identity evidence codes of other NetSupport Ltd files.
VENDOR_EVIDENCE = frozenset(["pe_version_info_vendor", "amcache_vendor"])
# Codes that come from the binary's own file (or its Amcache entry): its
# folder is a kit folder whatever else is there.
OWN_FILE_EVIDENCE = frozenset(
    ["pe_version_info", "imphash", "pe_import_pcicl32", "amcache"]
)


def _Stem(name):
    name = (name or "").strip().lower()
    return name[:-4] if name.endswith(".exe") else name


class IdentityRules:
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


class IdentityEvidence:
    """The identity evidence of every binary path (lower case) of the items.

    Attributes:
      codes (dict[str, set[str]]): identity codes per binary path.
      items (dict[str, list[Item]]): the items that gave those codes.
      signers (dict[str, set[str]]): Authenticode signer names per path.
    """

    def __init__(self, knowledge):
        self._knowledge = knowledge
        self._rules = IdentityRules(knowledge)
        self._executable_kit_names = frozenset(
            name for name in knowledge.kit_files if name.endswith(".exe")
        )
        self.codes = collections.defaultdict(set)
        self.items = collections.defaultdict(list)
        self.signers = collections.defaultdict(set)

    def Collect(self, items):
        """Gathers identity evidence per binary path (lower case)."""
        rules = self._rules
        for item in items:
            code = None
            path = item.path
            if item.role == "version_info":
                code = rules.VersionInfoEvidence(item.values)
                for name in ("signer_common_name", "signer_subject"):
                    if item.values.get(name):
                        self.signers[path].add(item.values[name])
            elif item.role == "pe":
                if item.values.get("imphash") in rules.imphashes:
                    code = "imphash"
                elif item.values.get("dll_name") in rules.imports:
                    code = "pe_import_pcicl32"
            elif (
                item.role == "execution_trace"
                and item.data_type == "windows:registry:amcache"
            ):
                code = rules.AmcacheEvidence(item.values)
            elif item.role == "prefetch":
                executable = item.values["executable"]
                for mapped in item.values["mapped_files"]:
                    folder, name = paths.Split(mapped)
                    if name in rules.imports and folder:
                        # Where the executable ran from: its path hint, else the
                        # folder of the client library it loaded.
                        path = item.path
                        if path.startswith("\\?\\"):
                            path = f"{folder}\\{executable}"
                        item.values["client_library_folder"] = folder
                        code = "prefetch_pcicl32"
                        break
            elif item.role == "process":
                if item.name in rules.children:
                    parent = paths.Normalise(item.values.get("ParentProcessName"))
                    if parent:
                        path = parent
                        code = "starts_remcmdstub"
            if code and path:
                self.codes[path].add(code)
                self.items[path].append(item)

    def IdentityOf(self, path):
        """Returns (identity, evidence codes) of a binary path."""
        name = paths.Split(path)[1]
        codes = set(self.codes.get(path, ()))
        client_file_names = self._knowledge.client_file_names
        if "pe_version_info" in codes:
            identity = model.IDENTITY_CLIENT
        elif "pe_version_info_vendor" in codes:
            identity = model.IDENTITY_VENDOR
        elif name in client_file_names:
            identity = model.IDENTITY_CLIENT
            codes.add("kit_file_name")
        elif name in self._executable_kit_names:
            # A vendor file by its kit name; import or prefetch evidence of
            # the client library does not make it the client.
            identity = model.IDENTITY_VENDOR
            codes.add("kit_file_name")
        elif codes & CLIENT_EVIDENCE:
            identity = model.IDENTITY_CLIENT
        elif codes & VENDOR_EVIDENCE:
            identity = model.IDENTITY_VENDOR
        else:
            identity = model.IDENTITY_UNIDENTIFIED
        if identity == model.IDENTITY_CLIENT and name not in client_file_names:
            identity = model.IDENTITY_RENAMED_CLIENT
        return identity, sorted(codes)
