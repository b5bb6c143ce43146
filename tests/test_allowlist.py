"""The examiner's allowlist: validation, matching per entry kind, expiry."""

import datetime

import pytest

from plaso_netsupport.analysis import allowlist as allowlist_module
from plaso_netsupport.analysis import model
from tests import analysis_events as ev
from tests import test_correlate

TODAY = datetime.date(2026, 6, 1)


def _Installation():
    installation = model.Installation(
        "\\program files (x86)\\netsupport\\netsupport manager"
    )
    installation.gateways = ["nsm-gw.corp.example:443"]
    installation.licences = [("Example Corp", "NSM100200")]
    installation.binaries = [
        model.Binary(
            "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe",
            "client32.exe",
            "client",
            ["pe_version_info"],
            signers=["NetSupport Ltd", "CN=NetSupport Ltd, O=NetSupport Ltd, C=GB"],
        )
    ]
    return installation


def _Entry(**entry):
    entry.setdefault("reason", "IT remote support, CHG-1234")
    entry.setdefault("review_date", "2027-06-30")
    return entry


# (name, entry, expected entry key or None)
MATCH_CASES = [
    (
        "path, any case and drive",
        _Entry(path="C:\\Program Files (x86)\\NetSupport"),
        "path",
    ),
    ("path of another folder", _Entry(path="C:\\Program Files\\NetSupport"), None),
    (
        "path prefix is no folder prefix",
        _Entry(path="C:\\Program Files (x86)\\Net"),
        None,
    ),
    ("gateway host", _Entry(gateway="NSM-GW.corp.example"), "gateway"),
    ("gateway host and port", _Entry(gateway="nsm-gw.corp.example:443"), "gateway"),
    ("other gateway", _Entry(gateway="gw.example.org"), None),
    ("licensee", _Entry(licensee="example corp"), "licensee"),
    ("other licensee", _Entry(licensee="XMLCTL"), None),
    ("signer common name", _Entry(signer="netsupport ltd"), "signer"),
    (
        "signer subject",
        _Entry(signer="CN=NetSupport Ltd, O=NetSupport Ltd, C=GB"),
        "signer",
    ),
    ("other signer", _Entry(signer="TeamViewer Germany GmbH"), None),
]


@pytest.mark.parametrize(
    "name,entry,expected", MATCH_CASES, ids=[case[0] for case in MATCH_CASES]
)
def test_entry_matches(name, entry, expected):
    allowlist = allowlist_module.Allowlist.FromDocument({"entries": [entry]})
    matched, expired = allowlist.Evaluate(_Installation(), today=TODAY)
    assert expired == []
    if expected is None:
        assert matched is None
    else:
        assert matched["entry"] == expected
        assert matched["reason"] == "IT remote support, CHG-1234"
        assert matched["review_date"] == "2027-06-30"


def test_expired_entry_is_reported_not_applied():
    allowlist = allowlist_module.Allowlist.FromDocument(
        {"entries": [_Entry(signer="NetSupport Ltd", review_date="2026-01-31")]}
    )
    matched, expired = allowlist.Evaluate(_Installation(), today=TODAY)
    assert matched is None
    assert expired == [
        {
            "entry": "signer",
            "value": "netsupport ltd",
            "reason": "IT remote support, CHG-1234",
            "review_date": "2026-01-31",
        }
    ]


# (name, document, message fragment)
INVALID_CASES = [
    ("no entries list", {"entry": []}, "expected a mapping with a list 'entries'"),
    ("entry not a mapping", {"entries": ["x"]}, "entry 1: not a mapping"),
    ("two keys", {"entries": [_Entry(path="C:\\x", gateway="y")]}, "exactly one of"),
    ("no key", {"entries": [_Entry()]}, "exactly one of"),
    ("no reason", {"entries": [{"path": "C:\\x", "review_date": "2027-01-01"}]}, "needs a reason"),
    ("no review date", {"entries": [{"path": "C:\\x", "reason": "r"}]}, "needs a review_date"),
    ("impossible review date", {"entries": [_Entry(path="C:\\x", review_date="2027-13-45")]}, "needs a review_date"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,document,message", INVALID_CASES, ids=[case[0] for case in INVALID_CASES]
)
def test_invalid_allowlists(name, document, message):
    with pytest.raises(allowlist_module.AllowlistError, match=message):
        allowlist_module.Allowlist.FromDocument(document, source="allow.yaml")


def test_signer_entry_allowlists_a_judged_installation():
    """A signer entry matches the PE signer of the installation's binaries."""
    allowlist = allowlist_module.Allowlist.FromDocument(
        {"entries": [_Entry(signer="NetSupport Ltd")]}
    )
    groups = test_correlate._School() + [  # pylint: disable=protected-access
        ev.Config(
            "C:\\Program Files (x86)\\NetSupport\\NetSupport School\\client32.ini",
            **test_correlate.STEALTH,
        )
    ]
    correlator, _ = ev.Analyse(*groups, allowlist=allowlist, today=TODAY)
    installation = correlator.installations[test_correlate.PF_KEY]
    assert installation.verdict == "allowlisted"
    assert installation.score == 3
    assert installation.allowlist_entry["entry"] == "signer"
    assert "allowlisted" in installation.FindingCodes()


def test_unsigned_renamed_client_is_not_allowlisted_by_signer():
    allowlist = allowlist_module.Allowlist.FromDocument(
        {"entries": [_Entry(signer="NetSupport Ltd")]}
    )
    groups = test_correlate._RenamedBy("imphash")  # pylint: disable=protected-access
    correlator, _ = ev.Analyse(*groups, allowlist=allowlist, today=TODAY)
    installation = correlator.installations[test_correlate.DROP_KEY]
    assert installation.verdict == "suspicious"
    assert installation.allowlist_entry is None
