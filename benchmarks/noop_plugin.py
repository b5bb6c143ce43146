"""A no-op psort analysis plugin: the baseline cost of one analysis plugin.

psort pickles every event to every plugin process; this plugin receives them
and does nothing, so its run time is what any plugin costs before it does
any work. Import this module before plaso.scripts.psort.Main() runs (the
benchmark does so with "python -c") so that psort's main process registers
the plugin and, with the fork start method, the analysis process inherits it.
"""

from plaso.analysis import interface
from plaso.analysis import manager


class BenchmarkNoOpAnalysisPlugin(interface.AnalysisPlugin):
    """Receives every event and does nothing (benchmark baseline)."""

    NAME = "bench_noop"

    def ExamineEvent(self, analysis_mediator, event, event_data, event_data_stream):
        """Ignores an event.

        Args:
          analysis_mediator (AnalysisMediator): analysis mediator.
          event (EventObject): event.
          event_data (EventData): event data.
          event_data_stream (EventDataStream): event data stream.
        """
        return

    def CompileReport(self, analysis_mediator):
        """Compiles an empty report.

        Args:
          analysis_mediator (AnalysisMediator): analysis mediator.

        Returns:
          AnalysisReport: report.
        """
        analysis_report = super().CompileReport(analysis_mediator)
        analysis_report.text = "no-op"
        analysis_report.analysis_counter = None
        return analysis_report


if (
    BenchmarkNoOpAnalysisPlugin.NAME
    not in manager.AnalysisPluginManager._plugin_classes
):  # pylint: disable=protected-access
    manager.AnalysisPluginManager.RegisterPlugin(BenchmarkNoOpAnalysisPlugin)
