"""Job kinds of every app, wired here as the CLI commands and the URLs are (see jobs.registry)."""

from __future__ import annotations

from cashloop.core.problems import gettext_noop
from cashloop.jobs.registry import JobKind

KINDS = (
    JobKind(
        name="import",
        run="cashloop.imports.jobs:run_import",
        label=gettext_noop("Import"),
        result_template="imports/_result.html",
        result_context="cashloop.imports.views:job_result_context",
        back_url="import_page",
        result_translated="cashloop.imports.jobs:translated_result",
    ),
)
