"""Findings and verdicts: what each installation's evidence adds up to.

Every finding has a stable reason code from the knowledge file's
verdict_reasons, with its direction (suspicious, benign, info), its weight
and text, its parameters and the tagged items that support it: the
location of the kit folder, user-level autostart, a renamed client, stealth
settings and administrator locks, the class of each gateway (gateways.py),
a dropper chain, a licence of a known campaign, a service, the signers, and
binaries that are no client. The suspicious weights add up to the score; a
score at verdict_threshold or above is suspicious, below it sanctioned, and
an installation that only file names tie to NetSupport is weak. An
allowlist entry that matches makes it allowlisted.
"""

import collections

from plaso_netsupport.analysis import collector as collector_module
from plaso_netsupport.analysis import gateways
from plaso_netsupport.analysis import model
from plaso_netsupport.analysis import paths


class VerdictRules:
    """Gives installations their findings, score and verdict.

    Attributes:
      notes (list[str]): report notes, such as expired allowlist entries.
    """

    def __init__(self, knowledge, allowlist=None):
        data = knowledge.data
        self._allowlist = allowlist
        self._gateways = gateways.GatewayClassifier(knowledge)
        self._legitimate = paths.CompilePatterns(data["legitimate_install_paths"])
        self._drop = paths.CompilePatterns(data["drop_locations"])
        self._script_hosts = frozenset(data["script_hosts"]) | frozenset(
            data["office_hosts"]
        )
        actions = data["script_block_actions"]
        self._dropper_words = collector_module.CompileTokens(
            actions["fetch"] + actions["unpack"] + actions["start"]
        )
        self._abused_licences = data.get("abused_licences") or []
        self._reasons = data["verdict_reasons"]
        self._threshold = int(data.get("verdict_threshold", 3))
        self._evidence_ids = set()
        self.notes = []

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
        legitimate_location = bool(self._legitimate.match(folder + "\\"))
        drop_location = not legitimate_location and bool(
            self._drop.match(folder + "\\")
        )
        if legitimate_location:
            findings.append(
                self._Finding(
                    "program_files_location", {"folder": folder_display}, folder_items
                )
            )
        elif drop_location:
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
        if user_autostart and not drop_location:
            # In a drop location the autostart is part of the finding above.
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
            classes[self._gateways.Classify(gateway)].append(gateway)
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

    def Judge(self, installations, evidence_ids, today=None):
        """Gives every installation its findings, score and verdict.

        Args:
          installations (Iterable[Installation]): the installations.
          evidence_ids (set[int]): id() of every tagged item; only those
              support findings.
          today (Optional[datetime.date]): date allowlist review dates are
              compared with; today when None.
        """
        self._evidence_ids = evidence_ids
        for installation in installations:
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
                installation.verdict = model.WEAK
            elif installation.score >= self._threshold:
                installation.verdict = model.SUSPICIOUS
            else:
                installation.verdict = model.SANCTIONED
            if self._allowlist is not None:
                entry, expired = self._allowlist.Evaluate(installation, today=today)
                for expired_entry in expired:
                    finding = self._Finding("allowlist_expired", expired_entry)
                    findings.append(finding)
                    note = f"{installation.folder_display}: {finding.text}"
                    if note not in self.notes:
                        self.notes.append(note)
                if entry is not None:
                    installation.verdict = model.ALLOWLISTED
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
