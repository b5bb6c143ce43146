"""The examiner's allowlist of sanctioned NetSupport installations.

YAML, read with yaml.safe_load:

    entries:
      - path: C:\\Program Files (x86)\\NetSupport\\NetSupport Manager
        reason: IT remote support, change CHG-1234
        review_date: 2027-06-30
      - gateway: nsm-gw.corp.example
        reason: corporate gateway
        review_date: 2027-06-30
      - licensee: Example Corp
        reason: corporate licence
        review_date: 2027-06-30

An entry names one of path, gateway, licensee or signer, and must give a
reason and a review date. A signer entry matches the signer common name
(or the whole signer subject) of the Authenticode signature of any of the
installation's binaries, as the pe_version_info parser reports it. An entry whose review date has passed no longer
sanctions anything: the report says so, and the installation keeps the
verdict the evidence gives it.
"""

import datetime

import yaml

from plaso_netsupport.analysis import paths

_KEYS = ("path", "gateway", "licensee", "signer")
MAXIMUM_FILE_SIZE = 1024 * 1024


class AllowlistError(Exception):
    """Raised when an allowlist file cannot be used."""


class Allowlist:
    """Entries that sanction NetSupport installations."""

    def __init__(self, entries, source=""):
        """Initializes an allowlist from parsed, validated entries."""
        self.entries = entries
        self.source = source
        self.expired = []

    @classmethod
    def FromFile(cls, path):
        """Reads an allowlist file.

        Raises:
          AllowlistError: when the file cannot be read or an entry is invalid.
        """
        try:
            with open(path, "rb") as file_object:
                data = file_object.read(MAXIMUM_FILE_SIZE + 1)
        except OSError as exception:
            raise AllowlistError(f"{path}: cannot read: {exception}") from exception
        if len(data) > MAXIMUM_FILE_SIZE:
            raise AllowlistError(f"{path}: larger than {MAXIMUM_FILE_SIZE} bytes")
        try:
            document = yaml.safe_load(data.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exception:
            raise AllowlistError(f"{path}: not valid YAML: {exception}") from exception
        return cls.FromDocument(document, source=path)

    @classmethod
    def FromDocument(cls, document, source=""):
        """Builds an allowlist from a parsed YAML document."""
        if not isinstance(document, dict) or not isinstance(
            document.get("entries"), list
        ):
            raise AllowlistError(f"{source}: expected a mapping with a list 'entries'")
        entries = []
        for index, entry in enumerate(document["entries"], start=1):
            if not isinstance(entry, dict):
                raise AllowlistError(f"{source}: entry {index}: not a mapping")
            keys = [key for key in _KEYS if entry.get(key)]
            if len(keys) != 1:
                raise AllowlistError(
                    f"{source}: entry {index}: needs exactly one of {', '.join(_KEYS)}"
                )
            if not entry.get("reason"):
                raise AllowlistError(f"{source}: entry {index}: needs a reason")
            review_date = entry.get("review_date")
            if isinstance(review_date, str):
                try:
                    review_date = datetime.date.fromisoformat(review_date)
                except ValueError:
                    review_date = None
            if not isinstance(review_date, datetime.date):
                raise AllowlistError(
                    f"{source}: entry {index}: needs a review_date (YYYY-MM-DD)"
                )
            key = keys[0]
            value = str(entry[key])
            value = paths.Normalise(value) if key == "path" else value.strip().lower()
            entries.append(
                {
                    "key": key,
                    "value": value,
                    "reason": str(entry["reason"]),
                    "review_date": review_date,
                }
            )
        return cls(entries, source=source)

    def Evaluate(self, installation, today=None):
        """Finds the entry that sanctions an installation.

        Args:
          installation (model.Installation): installation.
          today (Optional[datetime.date]): date review dates are compared
              with; today when None.

        Returns:
          tuple[dict|None, list[dict]]: the first current entry that matches,
              and the expired entries that match (not applied). Entries are
              {"entry": key, "value": value, "reason": reason,
              "review_date": "YYYY-MM-DD"}.
        """
        today = today or datetime.date.today()
        expired = []
        for entry in self.entries:
            if not self._Matches(entry, installation):
                continue
            description = {
                "entry": entry["key"],
                "value": entry["value"],
                "reason": entry["reason"],
                "review_date": entry["review_date"].isoformat(),
            }
            if entry["review_date"] < today:
                expired.append(description)
                continue
            return description, expired
        return None, expired

    def Match(self, installation, today=None):
        """Returns the reason an installation is sanctioned in words, or None."""
        entry, _ = self.Evaluate(installation, today=today)
        if entry is None:
            return None
        return (
            f"{entry['entry']} {entry['value']}: {entry['reason']} "
            f"(review by {entry['review_date']})"
        )

    @staticmethod
    def _Matches(entry, installation):
        value = entry["value"]
        if entry["key"] == "path":
            folder = installation.folder
            return folder == value or folder.startswith(value + "\\")
        if entry["key"] == "gateway":
            return any(
                gateway.lower() == value or gateway.lower().rsplit(":", 1)[0] == value
                for gateway in installation.gateways
            )
        if entry["key"] == "licensee":
            return any(
                str(licensee or "").strip().lower() == value
                for licensee, _ in installation.licences
            )
        # signer: the signer common name or the whole subject of the PE
        # version information events of the installation's binaries.
        return any(
            str(signer).strip().lower() == value for signer in installation.signers
        )
