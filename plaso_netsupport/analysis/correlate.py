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
those of model.py. The steps, each in its own module:

1. identity.py: what each binary's own evidence says it is;
2. kit_folders.py: the kit folders (installations) and their binaries;
3. evidence_kinds.py: the evidence kinds of every item, in time order
   (configuration.py reads what a client32.ini says on its installation);
4. installation_summary.py: runs, activity window and display paths;
5. verdicts.py: findings, score and verdict (gateways.py classes gateways).
"""

from plaso_netsupport.analysis import evidence_kinds
from plaso_netsupport.analysis import identity as identity_module
from plaso_netsupport.analysis import installation_summary
from plaso_netsupport.analysis import kit_folders as kit_folders_module
from plaso_netsupport.analysis import model
from plaso_netsupport.analysis import verdicts

SUSPICIOUS = model.SUSPICIOUS
SANCTIONED = model.SANCTIONED
ALLOWLISTED = model.ALLOWLISTED
WEAK = model.WEAK


def _ResolveChangeJournalPaths(items):
    """Gives change-journal records the path of their parent folder."""
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


def KitImages(knowledge, items):
    """Returns is_root(path, name): an image in a kit folder or with a kit name.

    The kit folders of the items, found as Correlate() finds them. The
    collector's spilled items (spill.py) play no part in finding them, so the
    items in memory give the same kit folders as all items.

    Args:
      knowledge (Knowledge): the knowledge file.
      items (Iterable[Item]): the collector's items in memory.

    Returns:
      callable: is_root(path, name) -> bool.
    """
    items = list(items)
    identity = identity_module.IdentityEvidence(knowledge)
    identity.Collect(items)
    kit_folders = kit_folders_module.KitFolders(knowledge)
    kit_folders.Find(items, identity)
    executable_names = frozenset(
        name for name in knowledge.kit_files if name.endswith(".exe")
    )

    def IsRoot(path, name):
        return name in executable_names or kit_folders.InstallationOf(path) is not None

    return IsRoot


class Correlator:
    """Decides which items are evidence and of what.

    Attributes:
      installations (dict[str, Installation]): installations by folder key.
      notes (list[str]): report notes, such as expired allowlist entries.
    """

    def __init__(self, knowledge, allowlist=None):
        self._knowledge = knowledge
        self._kit_names = frozenset(knowledge.kit_files)
        self._merge_microseconds = int(
            knowledge.data.get("execution_merge_seconds", 10)
        ) * (1000000)
        self._identity = identity_module.IdentityEvidence(knowledge)
        self._kit_folders = kit_folders_module.KitFolders(knowledge)
        self._verdicts = verdicts.VerdictRules(knowledge, allowlist=allowlist)
        self._evidence_ids = set()
        self.installations = self._kit_folders.installations
        self.notes = self._verdicts.notes

    def Correlate(self, items):
        """Returns [(item, installation, kinds)] for every evidence item.

        Args:
          items (Iterable[Item]): the collector's items.

        Returns:
          list[tuple[Item, Installation|None, list[str]]]: evidence items with
              the installation they tie to and their evidence kinds.
        """
        items = sorted(items, key=lambda item: min(item.timestamps or [0]))
        _ResolveChangeJournalPaths(items)
        validated_paths = {
            item.path for item in items if item.role in ("config", "licence")
        }
        self._identity.Collect(items)
        self._kit_folders.Find(items, self._identity)
        self._kit_folders.FindBinaries(items, self._identity)

        judge = evidence_kinds.EvidenceKinds(
            self._knowledge, self._kit_folders, validated_paths
        )
        evidence = []
        pending = []
        for item in items:
            kinds, installation = judge.Judge(item)
            if kinds is None:
                pending.append(item)
            elif kinds:
                evidence.append((item, installation, kinds))

        # Items that depend on what was learnt from all the others.
        for item in pending:
            kinds, installation = judge.JudgeLate(item)
            if kinds:
                evidence.append((item, installation, kinds))

        for item, installation, _ in evidence:
            self._evidence_ids.add(id(item))
            if installation is not None:
                installation.evidence_items.append(item)
        for installation in self.installations.values():
            installation_summary.Summarise(
                installation, self._kit_names, self._merge_microseconds
            )
        return evidence

    def Judge(self, today=None):
        """Gives every installation its findings, score and verdict.

        Args:
          today (Optional[datetime.date]): date allowlist review dates are
              compared with; today when None.
        """
        self._verdicts.Judge(
            self.installations.values(), self._evidence_ids, today=today
        )
