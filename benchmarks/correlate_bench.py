"""Collector and correlator CPU time on synthetic candidate events.

Worst case for memory and time: every event is a candidate (a DLL outside the
Windows directory), plus 20 kit folders with a running client. Built with
plaso's own event data classes (tests/analysis_events.py).

  PYTHONPATH=. python benchmarks/correlate_bench.py 200000
"""

import sys
import time

from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.analysis import collector
from plaso_netsupport.analysis import correlate
from tests import analysis_events as ev


def Main(number_of_files):
    """Builds the events, runs collector and correlator, prints the times."""
    groups = [
        ev.File(f"/Users/U{index % 50}/AppData/Roaming/App{index % 2000}/f{index}.dll")
        for index in range(number_of_files)
    ]
    for kit in range(20):
        groups.extend(
            ev.File(f"/ProgramData/Kit{kit}/{name}")
            for name in ("PCICL32.DLL", "HTCTL32.DLL", "client32.exe")
        )
        groups.append(
            ev.Process(
                f"C:\\ProgramData\\Kit{kit}\\client32.exe",
                "C:\\Windows\\explorer.exe",
                1000 + kit,
                100,
                "2026-03-10 09:43:31",
            )
        )
    triples = sorted(
        (triple for group in groups for triple in group),
        key=lambda triple: triple[0].timestamp,
    )
    known = knowledge_module.Load()
    start = time.process_time()
    instance = collector.Collector(known)
    for event, event_data, stream in triples:
        instance.Collect(event, event_data, stream)
    collected = time.process_time()
    correlator = correlate.Correlator(known)
    evidence = correlator.Correlate(list(instance.items.values()))
    correlator.Judge()
    judged = time.process_time()
    print(
        f"events {len(triples)} items {len(instance.items)} "
        f"collect {collected - start:.2f} s correlate+judge {judged - collected:.2f} s "
        f"installations {len(correlator.installations)} evidence {len(evidence)}"
    )


if __name__ == "__main__":
    Main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
