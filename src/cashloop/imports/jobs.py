"""The import job: a file confirmed on the import page, imported by the same service as
`cashloop import` (imports.services.run.import_bytes), with its progress reported as it reads.

The result is the CLI's import JSON; each problem also keeps its untranslated template and
parameters so that the job page shows it in the reader's language. A rejected file fails the job
(nothing of it was saved: the import is all or nothing) with that result kept beside the message.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.problems import gettext_noop
from cashloop.imports.services.run import ImportOptions, ImportResult, import_bytes
from cashloop.imports.services.uploads import discard_upload, rejected_path_for
from cashloop.jobs.services import JobFailed, JobRun

KIND = "import"
REJECTED = "rejected"
RESULT_PROBLEMS = 1000  # problems kept in the job's result (the batch keeps up to 10,000)
EXPIRED = gettext_noop("the uploaded file is no longer there; upload it again")
NO_USER = gettext_noop("the user who submitted this import no longer exists")
WAS_REJECTED = gettext_noop("the import was rejected: nothing was saved")


def import_params(options: ImportOptions, file_name: str, token: str) -> dict[str, Any]:
    """A job's parameters: the options as the page chose them, the file's name and upload token."""
    return {"file_name": file_name, "token": token, "options": asdict(options)}


def result_json(result: ImportResult) -> dict[str, Any]:
    payload = result.to_json()
    payload["problems"] = [
        {**p.to_json(), "template": p.message, "params": [list(pair) for pair in p.params]}
        for p in result.problems[:RESULT_PROBLEMS]]
    return payload


def run_import(run: JobRun) -> dict[str, Any]:
    kept = run.file()
    if kept is None:
        raise JobFailed(EXPIRED)
    if run.user is None:  # never import as the CLI operator on behalf of a deleted login
        raise JobFailed(NO_USER)
    data, name = kept
    options = ImportOptions(**run.params["options"])
    options.company = run.company.code  # the job's company, whatever the parameters say
    result = import_bytes(data, name, options, Actor.of(run.user, "web"), today(),
                          rejected_path_for(name), progress=run.progress)
    run.progress(result.rows, result.rows)
    if result.rejected_file:
        path = Path(result.rejected_file)
        # Kept with the job too: the page may be served by another machine than the worker.
        run.attach(REJECTED, path.name, path.read_bytes())
    payload = result_json(result)
    if not result.ok:
        raise JobFailed(WAS_REJECTED, payload)
    discard_upload(run.params.get("token", ""))
    return payload
