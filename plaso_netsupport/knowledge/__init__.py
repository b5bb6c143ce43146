"""Loads the NetSupport knowledge file (netsupport.yaml).

Everything that needs to know what NetSupport looks like reads it from here:
the parsers, the registry plugin, the analysis plugin, the Sigma rule tests
and the documentation generator. tests/test_knowledge_literals.py fails when
a NetSupport name, key or event identifier from the file is written into code
elsewhere.

The parsers read the file when they are imported, that is in every
log2timeline worker: it is parsed with libyaml's safe loader when PyYAML has
it (2 ms instead of 18 ms for the pure-Python one; the same safe subset).
"""

import functools
import os

import yaml

KNOWLEDGE_FILE = os.path.join(os.path.dirname(__file__), "netsupport.yaml")

# yaml.CSafeLoader is yaml.SafeLoader in C: no Python object construction.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def AttackLabels(technique):
    """Returns the plaso labels of an ATT&CK technique, parent first.

    Args:
      technique (str): technique identifier, such as "T1543.003".

    Returns:
      list[str]: labels, such as ["attack_t1543", "attack_t1543_003"].
    """
    technique = technique.strip().lower()
    parent, _, sub = technique.partition(".")
    labels = [f"attack_{parent}"]
    if sub:
        labels.append(f"attack_{parent}_{sub}")
    return labels


class Knowledge:
    """The NetSupport indicators, with lookups derived from them."""

    def __init__(self, data):
        """Initializes the knowledge from the parsed YAML document."""
        self.data = data
        self.kit_files = {
            name.lower(): dict(value or {}) for name, value in data["kit_files"].items()
        }
        self.config_file_names = frozenset(
            name for name, value in self.kit_files.items() if value.get("config")
        )
        self.licence_file_names = frozenset(
            name for name, value in self.kit_files.items() if value.get("licence")
        )
        self.strong_kit_file_names = frozenset(
            name
            for name, value in self.kit_files.items()
            if value.get("weight") == "strong"
        )
        self.client_file_names = frozenset(
            name for name, value in self.kit_files.items() if value.get("client")
        )
        self.command_stub_names = frozenset(
            name for name, value in self.kit_files.items() if value.get("command_stub")
        )
        self.evidence_techniques = data["evidence_techniques"]
        self.services = data["services"]
        self.service_names = frozenset(
            service["name"].lower() for service in data["services"]
        )
        self.service_display_names = frozenset(
            service["display_name"].lower() for service in data["services"]
        )
        self.registry_vendor_keys = [
            key.lower() for key in data["registry_vendor_keys"]
        ]
        self.registry_lookalike_keys = [
            entry["key"].lower() for entry in data["registry_lookalike_keys"]
        ]
        self.config_keys = data["config_keys"]
        self.pe_identity = data["pe_identity"]
        self.renamed_client_names_seen = frozenset(
            name.lower() for name in data["renamed_client_names_seen"]
        )
        # Event identifier -> the roles it plays ("process_created", ...), and
        # role -> identifiers: what the analysis reads from the event logs.
        self.event_roles = {}
        self.event_identifiers = {}
        for role, entries in data["event_ids"].items():
            for entry in entries:
                self.event_roles.setdefault(entry["id"], []).append(role)
                self.event_identifiers.setdefault(role, set()).add(entry["id"])
        self.technique_names = {
            technique: (value or {}).get("name", "")
            for technique, value in data["techniques"].items()
        }
        self.coverage_sources = data["coverage_sources"]

    def LabelsFor(self, evidence_kind):
        """Returns the ATT&CK labels for a kind of evidence."""
        labels = []
        for technique in self.evidence_techniques.get(evidence_kind, []):
            for label in AttackLabels(technique):
                if label not in labels:
                    labels.append(label)
        return labels


@functools.lru_cache(maxsize=1)
def Load(path=KNOWLEDGE_FILE):
    """Reads and returns the knowledge file (cached)."""
    with open(path, "r", encoding="utf-8") as file_object:
        return Knowledge(yaml.load(file_object, Loader=_SAFE_LOADER))
