"""A drift report as a chat webhook message: ``json`` (a summary paragraph and the report
without values), ``slack`` (Block Kit) or ``teams`` (a Teams Workflows message holding an
Adaptive Card).

Each names the org, and the repository and the CI run when it runs in CI. A message
carries action names and field names, never field values: a channel is read by more people
than the repository, and templates can hold what only the repository should.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.drift import STATUSES, DriftedAction, DriftReport, DriftStatus
from reconciler.render.drift import drift_to_dict

if TYPE_CHECKING:
    from reconciler.organization import OrgInfo
    from reconciler.runcontext import CiRun

_MAX_NAMES = 10  # per status in a message
_MAX_FIELDS = 5  # per changed action in a Slack or Teams message
_SLACK_SECTION = 3000  # characters a Slack section's text may hold
_LABEL: dict[DriftStatus, str] = {
    "changed": "changed outside git",
    "missing": "missing",
    "unmanaged": "unmanaged",
}


def webhook_body(
    report: DriftReport,
    *,
    org: OrgInfo | None = None,
    run: CiRun | None = None,
    fmt: str = "json",
) -> dict[str, Any]:
    """The body to POST for ``report`` in ``fmt`` (one of ``reconciler.render.WEBHOOK_FORMATS``)."""
    if fmt == "slack":
        return slack_body(report, org=org, run=run)
    if fmt == "teams":
        return teams_body(report, org=org, run=run)
    return {
        "text": webhook_text(report, org=org, run=run),
        "organization": None if org is None else org.to_dict(),
        "environment": None if org is None else org.environment,
        "ci": None if run is None else run.to_dict(),
        "drift": report_without_values(report, org=org),
    }


def webhook_text(
    report: DriftReport, *, org: OrgInfo | None = None, run: CiRun | None = None
) -> str:
    """One paragraph naming the org, the drifted actions and where the check ran, with
    ``&``, ``<`` and ``>`` escaped (Slack reads them as markup: a name must not become a
    link or a mention)."""
    parts = []
    for status in STATUSES:
        names = [a.name for a in report.with_status(status)]
        shown = _names(names)
        parts.append(f"{len(names)} {_LABEL[status]}" + (f" ({shown})" if names else ""))
    who = "the org" if org is None else f"the org {org.label}"
    if org is not None and org.environment:
        who += f" (environment {org.environment})"
    where = _where(run)
    text = f"dactl drift: {who} differs from git{where}: " + "; ".join(parts) + "."
    return _slack_escape(text)


def report_without_values(report: DriftReport, *, org: OrgInfo | None = None) -> dict[str, Any]:
    """The JSON report (``dactl drift --format json``) with each field's path but not its
    values: ``before``/``after`` are left out, ``*_present`` kept."""
    body = drift_to_dict(report, org=org)
    for action in body["actions"]:
        action["fields"] = [
            {key: f[key] for key in ("path", "before_present", "after_present")}
            for f in action["fields"]
        ]
    return body


# --- slack ------------------------------------------------------------------------------


def slack_body(
    report: DriftReport, *, org: OrgInfo | None = None, run: CiRun | None = None
) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the notification, and what clients
    without blocks show) and Block Kit ``blocks``."""
    lines = [f"*{_slack_escape(report.summary())}*"]
    for status in STATUSES:
        actions = report.with_status(status)
        if actions:
            lines.append(f"*{_LABEL[status].capitalize()}* ({len(actions)}): {_listed(actions)}")
    section = _slack_escape("\n".join(lines[1:]))
    section = "\n".join([lines[0], section]) if len(lines) > 1 else lines[0]
    if len(section) > _SLACK_SECTION:
        section = section[: _SLACK_SECTION - 1] + "…"
    context = []
    if org is not None and org.environment:
        context.append(f"Environment: *{_slack_escape(org.environment)}*")
    if org is not None:
        context.append(f"Org: *{_slack_escape(org.label)}*")
    if run is not None and run.repository:
        repo = _slack_escape(run.repository)
        context.append(f"Repository: <{run.repository_url}|{repo}>" if run.repository_url else repo)
    if run is not None and run.run_url:
        context.append(f"<{run.run_url}|CI run>")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "dactl drift: the org differs from git"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": section}},
    ]
    if context:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]}
        )
    return {"text": webhook_text(report, org=org, run=run), "blocks": blocks}


# --- teams ------------------------------------------------------------------------------


def teams_body(
    report: DriftReport, *, org: OrgInfo | None = None, run: CiRun | None = None
) -> dict[str, Any]:
    """A message for a Teams Workflows webhook ("post to a channel when a webhook request
    is received"): one Adaptive Card attachment."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": "dactl drift: the org differs from git",
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": report.summary(), "wrap": True},
    ]
    facts = []
    if org is not None and org.environment:
        facts.append({"title": "Environment", "value": org.environment})
    if org is not None:
        facts.append({"title": "Org", "value": org.label})
    if run is not None and run.repository:
        facts.append({"title": "Repository", "value": run.repository})
    for status in STATUSES:
        actions = report.with_status(status)
        if actions:
            facts.append({"title": _LABEL[status].capitalize(), "value": _listed(actions)})
    body.append({"type": "FactSet", "facts": facts})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if run is not None and run.run_url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open the CI run", "url": run.run_url}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# --- shared -----------------------------------------------------------------------------


def _listed(actions: tuple[DriftedAction, ...]) -> str:
    """``A (timeoutSeconds, request.headers.X-Debug); B``: names, with a changed action's
    field names (never values); at most ``_MAX_NAMES``."""
    shown = []
    for action in actions[:_MAX_NAMES]:
        fields = [f.dotted for f in action.fields]
        if len(fields) > _MAX_FIELDS:
            fields = [*fields[:_MAX_FIELDS], f"{len(fields) - _MAX_FIELDS} more"]
        shown.append(action.name + (f" ({', '.join(fields)})" if fields else ""))
    more = len(actions) - _MAX_NAMES
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        shown += f" and {len(names) - _MAX_NAMES} more"
    return shown


def _where(run: CiRun | None) -> str:
    """`` (repository acme/actions, CI run https://...)``, or ``''`` outside CI."""
    if run is None:
        return ""
    parts = []
    if run.repository:
        parts.append(f"repository {run.repository}")
    if run.run_url:
        parts.append(f"CI run {run.run_url}")
    return f" ({', '.join(parts)})" if parts else ""


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
