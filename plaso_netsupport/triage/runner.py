"""Runs the stock plaso tools one at a time and turns SIGINT/SIGTERM into Interrupted.

Each child runs in a session of its own: a Ctrl-C in the terminal reaches
only us, and we pass it on once as SIGINT, which plaso handles as an abort;
SIGTERM and SIGKILL follow to its process group if it does not stop.
"""

import os
import signal
import subprocess
import sys
import time

from plaso_netsupport.plaso_commands import UsageError

# Seconds a child gets to abort after SIGINT, then after SIGTERM.
ABORT_GRACE = 30
TERMINATE_GRACE = 10


class StepFailed(Exception):
    """A child process exited with an error."""

    def __init__(self, step, tool, returncode, log_path):
        super().__init__(step)
        self.step = step
        self.tool = tool
        self.returncode = returncode
        self.log_path = log_path


class Interrupted(Exception):
    """The examiner interrupted the run (SIGINT or SIGTERM)."""

    def __init__(self, step, signal_number):
        super().__init__(step)
        self.step = step
        self.signal_number = signal_number


def DefaultStatusView():
    """plaso's window view on a terminal, linear output otherwise."""
    try:
        return "window" if sys.stdout.isatty() else "linear"
    except (AttributeError, ValueError):
        return "linear"


class Runner:
    """Runs child processes one at a time; turns SIGINT/SIGTERM into Interrupted."""

    def __init__(self):
        self.step = "start"
        self.child = None
        self.signal_number = None
        self._signals = 0
        self._previous = {}

    def __enter__(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            self._previous[number] = signal.signal(number, self._Handler)
        return self

    def __exit__(self, *unused_exception):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        return False

    def _Handler(self, signal_number, unused_frame):
        self._signals += 1
        if self.signal_number is None:
            self.signal_number = signal_number
        child = self.child
        if child is not None and child.poll() is None:
            if self._signals == 1:
                self._Signal(child, signal.SIGINT, group=False)
            else:
                self._Signal(child, signal.SIGTERM, group=True)
            return
        raise Interrupted(self.step, self.signal_number)

    @staticmethod
    def _Signal(child, signal_number, group):
        try:
            if group:
                os.killpg(child.pid, signal_number)
            else:
                os.kill(child.pid, signal_number)
        except (ProcessLookupError, PermissionError):
            pass

    def Run(self, step, command, log_path, cwd):
        """Runs one stock tool; raises Interrupted or StepFailed."""
        self.step = step
        if self.signal_number is not None:
            raise Interrupted(step, self.signal_number)
        sys.stdout.flush()
        # A session of its own: a Ctrl-C in the terminal reaches only us; we
        # pass it on once, as SIGINT, which plaso handles as an abort.
        try:
            self.child = subprocess.Popen(  # pylint: disable=consider-using-with
                command, cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exception:
            raise UsageError(
                f"cannot run {command[0]}: {exception.strerror or exception}"
            ) from None
        escalation = None
        try:
            while True:
                try:
                    returncode = self.child.wait(timeout=0.25)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if self.signal_number is None:
                    continue
                now = time.monotonic()
                if escalation is None:
                    escalation = (now + ABORT_GRACE, signal.SIGTERM)
                elif now > escalation[0]:
                    self._Signal(self.child, escalation[1], group=True)
                    escalation = (now + TERMINATE_GRACE, signal.SIGKILL)
        finally:
            # Workers left behind by an aborted or crashed main process.
            if self.signal_number is not None:
                self._Signal(self.child, signal.SIGKILL, group=True)
            self.child = None
        if self.signal_number is not None:
            raise Interrupted(step, self.signal_number)
        if returncode != 0:
            raise StepFailed(step, os.path.basename(command[0]), returncode, log_path)
