"""What the correlator decides: installations, binaries, findings, runs.

These objects are the interface between the correlator (correlate.py) and
whatever builds the report from it. After

    correlator = correlate.Correlator(knowledge, allowlist=allowlist)
    evidence = correlator.Correlate(items)
    correlator.Judge(today=today)

``correlator.installations`` maps the installation key (the normalised,
lower-case, volume-relative folder, as paths.Normalise gives it) to an
Installation, and ``evidence`` is the list of (item, installation or None,
kinds) tuples the analysis plugin tags events from.

Items are collector.Item objects: one per event data, with the event
identifiers and timestamps of its events. Timestamps are plaso timestamps
(microseconds since 1970-01-01 UTC).
"""

import collections
import dataclasses
import typing

# Verdicts of an installation.
SUSPICIOUS = "suspicious"
SANCTIONED = "sanctioned"
ALLOWLISTED = "allowlisted"
WEAK = "weak"

# Directions of a finding.
DIRECTION_SUSPICIOUS = "suspicious"
DIRECTION_BENIGN = "benign"
DIRECTION_INFO = "info"

# Identities of a binary.
IDENTITY_CLIENT = "client"
IDENTITY_RENAMED_CLIENT = "renamed_client"
IDENTITY_VENDOR = "vendor"
IDENTITY_UNIDENTIFIED = "unidentified"


@dataclasses.dataclass
class Finding:
    """One reason behind a verdict.

    Attributes:
      code (str): stable snake_case reason code, a key of the knowledge file's
          verdict_reasons section (which holds its direction, weight and text
          template).
      direction (str): suspicious, benign or info.
      weight (int): what the finding adds to the installation's score; 0 for
          benign and info findings.
      parameters (dict): JSON-serialisable values the text is made from
          (strings, numbers, booleans, lists of them).
      text (str): the reason in words, from the template and the parameters.
      items (list[Item]): collector items that support the finding.
    """

    code: str
    direction: str
    weight: int
    parameters: dict
    text: str
    items: list = dataclasses.field(default_factory=list, repr=False)


@dataclasses.dataclass
class Binary:
    """An executable of an installation and what it is.

    Attributes:
      path (str): path as on the evidence (original case, drive letter when
          known), such as "C:\\ProgramData\\SchCache\\fontdrvhost.exe".
      name (str): file name as on the evidence.
      identity (str): client (the NetSupport client under its own name),
          renamed_client (the client under another name), vendor (another
          NetSupport Ltd binary) or unidentified (no evidence of what it is).
      identity_evidence (list[str]): sorted codes of the evidence the identity
          rests on: pe_version_info, pe_version_info_vendor, imphash,
          pe_import_pcicl32, prefetch_pcicl32, amcache, starts_remcmdstub,
          kit_file_name (the name is a kit file name, nothing more).
      items (list[Item]): the items of that evidence and of the file itself.
      signers (list[str]): signer common names / subjects of the binary's PE
          version information events (allowlist signer entries match these).
    """

    path: str
    name: str
    identity: str = IDENTITY_UNIDENTIFIED
    identity_evidence: list = dataclasses.field(default_factory=list)
    items: list = dataclasses.field(default_factory=list, repr=False)
    signers: list = dataclasses.field(default_factory=list)

    @property
    def key(self):
        """str: normalised (lower-case) path, the binary's key."""
        return self.path.lower()


@dataclasses.dataclass(order=True)
class Execution:
    """One run of a binary of an installation.

    The records of one run (a 4688 process creation, the prefetch run time,
    a BAM or UserAssist time) lie within a few seconds of each other and are
    merged into one Execution.

    Attributes:
      timestamp (int): earliest timestamp of the run's records.
      items (list[Item]): the records.
      description (str): what ran, such as "process C:\\...\\client32.exe".
    """

    timestamp: int
    items: list = dataclasses.field(default_factory=list, compare=False, repr=False)
    description: str = dataclasses.field(default="", compare=False)

    def __iter__(self):
        # Legacy: the v1 report reads executions as (timestamp, description).
        return iter((self.timestamp, self.description))


@dataclasses.dataclass
class Installation:
    """One NetSupport installation: a kit folder and what ties to it.

    Attributes:
      folder (str): key: normalised lower-case volume-relative folder.
      folder_display (str): the folder as on the evidence: original case and,
          when known or when the path is volume-relative, the drive letter
          ("C:\\ProgramData\\SchCache").
      verdict (str): suspicious, sanctioned, allowlisted or weak.
      score (int): sum of the weights of the suspicious findings.
      findings (list[Finding]): reasons behind the verdict, in a fixed order
          (suspicious by weight, then benign, then info).
      binaries (list[Binary]): executables of the installation, by path.
      executions (list[Execution]): runs, in time order, records of one run
          merged.
      activity_first (int|None): earliest timestamp of evidence that the
          installation was on this system (file creation or change, execution,
          service install, registry or log records).
      activity_last (int|None): latest such timestamp.
      preserved_first (int|None): earliest time the kit carries from
          elsewhere (PE compile and signing times, file modification times
          older than the file's creation here, i.e. archive times).
      preserved_last (int|None): latest such time.
      allowlist_entry (dict|None): the allowlist entry that sanctions it:
          {"entry": key (path, gateway, licensee, signer), "value": str,
          "reason": str, "review_date": "YYYY-MM-DD"}.
      files (set[str]): lower-case names of the files in the folder.
      kit_files (dict[str, str]): lower-case path -> path as the event gives
          it (original case, backslashes, a drive letter only where the event
          has one), of every file directly in the installation's folder.
      gateways (list[str]): "host:port" (or "host") of the configured
          gateways, primary first.
      gateway_roles (dict[str, str]): gateway -> primary or secondary.
      security_key (bool): a gateway security key (GSK) is configured.
      settings (dict[str, str]): configuration settings that matter to the
          verdict, by client32.ini key name, such as {"silent": "1"}.
      stealth (list[str]): stealth settings found (legacy wording).
      admin_locks (list[str]): Disable* switches and other administrative
          locks (not stealth).
      licences (list[tuple[str, str]]): (licensee, serial number).
      services (set[str]): names of the Windows services that run it.
      persistence (list[str]): autostart entries, legacy wording
          ("HKCU Run value 'x' -> path", "Startup shortcut ... -> ...").
      persistence_entries (list[dict]): the same as data: {"kind": run_key or
          startup_shortcut, "where": key path or shortcut path, "value": value
          name or target, "user_level": bool, "items": [Item]}.
      parents (set[str]): lower-case file names of processes that started
          its binaries.
      parent_paths (set[str]): their paths as on the evidence.
      script_items (list[Item]): script blocks that name the installation.
      config_items (list[Item]): its parsed configurations (client32.ini).
      licence_items (list[Item]): its parsed licences (NSM.LIC).
      service_items (list[Item]): service keys and installs that run it.
      parent_items (list[Item]): 4688 records of its binaries with a parent.
      dropper_steps (list[tuple[str, Item]]): other steps of a delivery or
          proxy-launch chain: shortcuts that start its binaries through a
          system binary (explorer.exe, cmd.exe, forfiles.exe ...).
      evidence_items (list[Item]): every item tagged as its evidence.
      timestamps (list[int]): every timestamp of its evidence (legacy).
      techniques (Counter): ATT&CK technique -> number of tagged events
          (filled by the analysis plugin).
      event_count (int): number of tagged events (filled by the plugin).
      validated (bool): a parser read its configuration or licence, or a
          binary has identity evidence beyond its name.
    """

    folder: str
    folder_display: str = ""
    verdict: str = SANCTIONED
    score: int = 0
    findings: list = dataclasses.field(default_factory=list)
    binaries: list = dataclasses.field(default_factory=list)
    executions: list = dataclasses.field(default_factory=list)
    activity_first: typing.Optional[int] = None
    activity_last: typing.Optional[int] = None
    preserved_first: typing.Optional[int] = None
    preserved_last: typing.Optional[int] = None
    allowlist_entry: typing.Optional[dict] = None
    files: set = dataclasses.field(default_factory=set)
    kit_files: dict = dataclasses.field(default_factory=dict)
    gateways: list = dataclasses.field(default_factory=list)
    gateway_roles: dict = dataclasses.field(default_factory=dict)
    security_key: bool = False
    settings: dict = dataclasses.field(default_factory=dict)
    stealth: list = dataclasses.field(default_factory=list)
    admin_locks: list = dataclasses.field(default_factory=list)
    licences: list = dataclasses.field(default_factory=list)
    services: set = dataclasses.field(default_factory=set)
    persistence: list = dataclasses.field(default_factory=list)
    persistence_entries: list = dataclasses.field(default_factory=list)
    parents: set = dataclasses.field(default_factory=set)
    parent_paths: set = dataclasses.field(default_factory=set)
    script_items: list = dataclasses.field(default_factory=list, repr=False)
    config_items: list = dataclasses.field(default_factory=list, repr=False)
    licence_items: list = dataclasses.field(default_factory=list, repr=False)
    service_items: list = dataclasses.field(default_factory=list, repr=False)
    parent_items: list = dataclasses.field(default_factory=list, repr=False)
    dropper_steps: list = dataclasses.field(default_factory=list, repr=False)
    evidence_items: list = dataclasses.field(default_factory=list, repr=False)
    timestamps: list = dataclasses.field(default_factory=list, repr=False)
    techniques: collections.Counter = dataclasses.field(
        default_factory=collections.Counter
    )
    event_count: int = 0
    validated: bool = False

    def __post_init__(self):
        if not self.folder_display:
            self.folder_display = self.folder

    # Derived and legacy views (the v1 report reads these).

    @property
    def name(self):
        """str: folder name, the handle an examiner uses for it."""
        return self.folder.rpartition("\\")[2] or self.folder

    @property
    def reasons(self):
        """list[str]: finding texts (legacy)."""
        return [finding.text for finding in self.findings]

    @property
    def allowlist_reason(self):
        """str|None: the allowlist entry in words (legacy)."""
        entry = self.allowlist_entry
        if not entry:
            return None
        return (
            f"{entry['entry']} {entry['value']}: {entry['reason']} "
            f"(review by {entry['review_date']})"
        )

    @property
    def client_names(self):
        """set[str]: lower-case names of binaries identified as the client."""
        return {
            binary.name.lower()
            for binary in self.binaries
            if binary.identity == IDENTITY_CLIENT
        }

    @property
    def renamed_names(self):
        """set[str]: lower-case names of binaries identified as renamed clients."""
        return {
            binary.name.lower()
            for binary in self.binaries
            if binary.identity == IDENTITY_RENAMED_CLIENT
        }

    @property
    def signers(self):
        """set[str]: signer names of the installation's binaries."""
        return {signer for binary in self.binaries for signer in binary.signers}

    def FindingCodes(self):
        """Returns the codes of the findings, in order."""
        return [finding.code for finding in self.findings]
