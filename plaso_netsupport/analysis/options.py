"""psort options of the netsupport analysis plugin.

plaso adds an analysis plugin's options to psort only when the command line
holds "--analysis" followed by a list that names the plugin.
"""

import os
import sys

from plaso.cli.helpers import interface
from plaso.cli.helpers import manager
from plaso.lib import errors

from plaso_netsupport.analysis import allowlist as allowlist_module
from plaso_netsupport.analysis import netsupport


class NetSupportAnalysisArgumentsHelper(interface.ArgumentsHelper):
    """NetSupport analysis plugin CLI arguments helper."""

    NAME = "netsupport"
    CATEGORY = "analysis"
    DESCRIPTION = "Argument helper for the NetSupport analysis plugin."

    @classmethod
    def AddArguments(cls, argument_group):
        """Adds the plugin's command line arguments to an argument group.

        Args:
          argument_group (argparse._ArgumentGroup|argparse.ArgumentParser):
              argparse group.
        """
        argument_group.add_argument(
            "--netsupport-allowlist",
            "--netsupport_allowlist",
            dest="netsupport_allowlist",
            type=str,
            action="store",
            default=None,
            metavar="PATH",
            help=(
                "YAML file of sanctioned NetSupport installations (paths, "
                "gateways, licensees), each with a reason and a review date."
            ),
        )
        argument_group.add_argument(
            "--netsupport-sigma-rules",
            "--netsupport_sigma_rules",
            dest="netsupport_sigma_rules",
            type=str,
            action="append",
            default=None,
            metavar="DIRECTORY",
            help=(
                "directory of additional Sigma rules to evaluate on Windows "
                "event log records; may be given more than once."
            ),
        )
        argument_group.add_argument(
            "--netsupport-no-sigma",
            "--netsupport_no_sigma",
            dest="netsupport_no_sigma",
            action="store_true",
            default=False,
            help="do not evaluate the bundled Sigma rules.",
        )

    @classmethod
    def ParseOptions(
        cls, options, analysis_plugin
    ):  # pylint: disable=arguments-renamed
        """Parses and validates options.

        Args:
          options (argparse.Namespace): parser options.
          analysis_plugin (AnalysisPlugin): analysis plugin to configure.

        Raises:
          BadConfigObject: when the plugin object is of the wrong type.
          SystemExit: (status 2, after one ERROR line) when the allowlist or a
              Sigma rules directory is not usable.
        """
        if not isinstance(analysis_plugin, netsupport.NetSupportAnalysisPlugin):
            raise errors.BadConfigObject(
                "Analysis plugin is not an instance of NetSupportAnalysisPlugin"
            )
        path = cls._ParseStringOption(options, "netsupport_allowlist")
        if path:
            try:
                analysis_plugin.SetAllowlist(allowlist_module.Allowlist.FromFile(path))
            except allowlist_module.AllowlistError as exception:
                _Refuse(f"invalid allowlist: {exception}")
            except ValueError as exception:
                # yaml.safe_load raises ValueError on a date such as 2027-13-45.
                _Refuse(f"invalid allowlist: {path}: {exception}")
        directories = getattr(options, "netsupport_sigma_rules", None) or []
        for directory in directories:
            if not os.path.isdir(directory):
                _Refuse(f"no such Sigma rules directory: {directory}")
        analysis_plugin.SetSigmaRuleDirectories(
            [os.path.abspath(directory) for directory in directories],
            use_builtin=not getattr(options, "netsupport_no_sigma", False),
        )


def _Refuse(message):
    """Stops psort with one line and exit status 2.

    A BadConfigOption would make psort print its whole usage text after the
    message; a wrong allowlist or rules directory is not a usage mistake.
    """
    sys.stderr.write(f"ERROR: {message}\n")
    raise SystemExit(2)


manager.ArgumentHelperManager.RegisterHelper(NetSupportAnalysisArgumentsHelper)
