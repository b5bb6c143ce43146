"""Task: the NetSupport analysis of a plaso storage file.

For pipelines where OpenRelik's plaso worker already ran log2timeline: the
.plaso file is copied (psort stores tags in the file it analyses; the input
stays untouched), analysed with `psort --analysis netsupport`, and every
plaso-netsupport output becomes an OpenRelik output file.
"""

from openrelik_worker_common.task_utils import get_input_files

from .app import celery
from .triage_run import (
    PLASO_STORAGE_DATA_TYPE,
    TASK_CONFIG,
    IsStorageFile,
    RunTask,
    TaskError,
)

# Task name used to register and route the task to the correct queue.
TASK_NAME = "openrelik-worker-netsupport.tasks.analyse_plaso"

# Task metadata for registration in the core system.
TASK_METADATA = {
    "display_name": "NetSupport: analyse plaso storage",
    "description": (
        "Find NetSupport Manager / NetSupport RAT in a plaso storage file: "
        "installations and verdicts, report (HTML, JSON, Markdown), "
        "NetSupport-only timeline (CSV, JSONL, Timesketch JSONL), ATT&CK "
        "Navigator layer, and the analysed (tagged) storage file"
    ),
    "task_config": TASK_CONFIG,
}

COMPATIBLE_INPUTS = {
    "data_types": [PLASO_STORAGE_DATA_TYPE],
    "mime_types": [],
    "filenames": ["*.plaso"],
}


@celery.task(bind=True, name=TASK_NAME, metadata=TASK_METADATA)
def analyse_plaso(
    self,
    pipe_result: str = None,
    input_files: list = None,
    output_path: str = None,
    workflow_id: str = None,
    task_config: dict = None,
) -> str:
    """Runs the NetSupport analysis on plaso storage files.

    Args:
        pipe_result: Base64-encoded result from the previous Celery task, if any.
        input_files: List of input file dictionaries (unused if pipe_result exists).
        output_path: Path to the output directory.
        workflow_id: ID of the workflow.
        task_config: User configuration for the task.

    Returns:
        Base64-encoded dictionary containing task results.
    """
    given = get_input_files(pipe_result, input_files or [])
    storage_files = get_input_files(None, given, filter=COMPATIBLE_INPUTS)
    if not storage_files:
        names = ", ".join(str(item.get("display_name")) for item in given) or "none"
        raise TaskError(
            f"no plaso storage file (*.plaso) among the input files: {names}"
        )
    for input_file in storage_files:
        if not IsStorageFile(input_file.get("path")):
            raise TaskError(
                f"not a plaso storage file: {input_file.get('display_name')}"
            )
    return RunTask(
        self,
        [[input_file] for input_file in storage_files],
        task_config,
        workflow_id,
        output_path,
        kind="storage",
    )
