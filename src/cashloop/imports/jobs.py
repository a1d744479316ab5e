"""The import job: a file confirmed on the import page, or posted to the API with
`background=true`, imported by the same service as `cashloop import`
(imports.services.run.import_bytes), with its progress reported as it reads.

The result is the CLI's import JSON; each problem also keeps its untranslated template and
parameters so that the job page and the API show it in the reader's language. A rejected file
fails the job (nothing of it was saved: the import is all or nothing) with that result kept beside
the message.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.importing.issues import RowProblem
from cashloop.core.problems import gettext_noop
from cashloop.imports.services.run import ImportOptions, ImportResult, import_bytes
from cashloop.imports.services.uploads import discard_upload, rejected_path_for
from cashloop.jobs.models import Job
from cashloop.jobs.services import INPUT, JobFailed, JobRun, submit
from cashloop.ledger.models import Company
from cashloop.web.i18n import problem_text

KIND = "import"
REJECTED = "rejected"
RESULT_PROBLEMS = 1000  # problems kept in the job's result (the batch keeps up to 10,000)
EXPIRED = gettext_noop("the uploaded file is no longer there; upload it again")
NO_USER = gettext_noop("the user who submitted this import no longer exists")
WAS_REJECTED = gettext_noop("the import was rejected: nothing was saved")


def import_params(options: ImportOptions, file_name: str, token: str = "",
                  channel: str = "web") -> dict[str, Any]:
    """A job's parameters: the options as chosen, the file's name, the page's upload token (none
    from the API) and the channel its audit entries name."""
    return {"file_name": file_name, "token": token, "options": asdict(options), "channel": channel}


def submit_import(options: ImportOptions, file_name: str, data: bytes,
                  user: AbstractBaseUser | AnonymousUser, company: Company, token: str = "",
                  channel: str = "web") -> Job:
    """Submit a file's import as a job, the file stored with it: the import page's confirmation
    and the API's background imports alike."""
    return submit(KIND, import_params(options, file_name, token, channel), user, company,
                  files={INPUT: (file_name, data)})


def result_json(result: ImportResult) -> dict[str, Any]:
    payload = result.to_json()
    payload["problems"] = [
        {**p.to_json(), "template": p.message, "params": [list(pair) for pair in p.params]}
        for p in result.problems[:RESULT_PROBLEMS]]
    return payload


def result_problem(stored: dict[str, Any]) -> RowProblem:
    """A problem of a job's result (result_json) as the RowProblem it was, to be translated."""
    return RowProblem(stored.get("line"), stored.get("column", ""), stored.get("field", ""),
                      stored.get("value", ""), stored.get("code", ""),
                      stored.get("template") or stored.get("message", ""),
                      tuple((str(k), str(v)) for k, v in stored.get("params", [])),
                      stored.get("severity", "error"))


def translated_result(result: dict[str, Any]) -> dict[str, Any]:
    """A job's result with its problems' messages in the active language (the API's job JSON,
    as `POST /api/imports/{kind}` answers without `background`); wired in config.jobs."""
    return {**result, "problems": [{**p, "message": problem_text(result_problem(p))}
                                   for p in result.get("problems", [])]}


def run_import(run: JobRun) -> dict[str, Any]:
    kept = run.file()
    if kept is None:
        raise JobFailed(EXPIRED)
    if run.user is None:  # never import as the CLI operator on behalf of a deleted login
        raise JobFailed(NO_USER)
    data, name = kept
    options = ImportOptions(**run.params["options"])
    options.company = run.company.code  # the job's company, whatever the parameters say
    actor = Actor.of(run.user, run.params.get("channel", "web"))  # jobs stored before: the page
    result = import_bytes(data, name, options, actor, today(), rejected_path_for(name),
                          progress=run.progress)
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
