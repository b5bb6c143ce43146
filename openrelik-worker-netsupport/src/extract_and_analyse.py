"""Task: extract a disk image with log2timeline, then the NetSupport analysis.

For pipelines without a plaso worker: `plaso-netsupport triage` runs
log2timeline (all partitions and volumes, unattended), the analysis and every
output. The segments of a split EWF image (name.E01, name.E02, …) are one
image; every other input file is an image of its own.
"""

from openrelik_worker_common.task_utils import get_input_files

from .app import celery
from .triage_run import TASK_CONFIG, GroupSources, RunTask, TaskError

# Task name used to register and route the task to the correct queue.
TASK_NAME = "openrelik-worker-netsupport.tasks.extract_and_analyse"

# Task metadata for registration in the core system.
TASK_METADATA = {
    "display_name": "NetSupport: extract and analyse disk image",
    "description": (
        "log2timeline and the NetSupport analysis on a disk image (E01, raw, "
        "VMDK, …): installations and verdicts, report (HTML, JSON, Markdown), "
        "NetSupport-only timeline, ATT&CK Navigator layer, plaso storage file"
    ),
    "task_config": TASK_CONFIG,
}


@celery.task(bind=True, name=TASK_NAME, metadata=TASK_METADATA)
def extract_and_analyse(
    self,
    pipe_result: str = None,
    input_files: list = None,
    output_path: str = None,
    workflow_id: str = None,
    task_config: dict = None,
) -> str:
    """Runs extraction and the NetSupport analysis on disk images.

    Args:
        pipe_result: Base64-encoded result from the previous Celery task, if any.
        input_files: List of input file dictionaries (unused if pipe_result exists).
        output_path: Path to the output directory.
        workflow_id: ID of the workflow.
        task_config: User configuration for the task.

    Returns:
        Base64-encoded dictionary containing task results.
    """
    images = get_input_files(pipe_result, input_files or [])
    if not images:
        raise TaskError("no input file")
    return RunTask(
        self, GroupSources(images), task_config, workflow_id, output_path, kind="image"
    )
