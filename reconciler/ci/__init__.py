"""The CI kit: what a CI job needs besides the plan itself.

``rest`` (a small JSON client for a CI service's REST API), ``github`` (the sticky
pull-request comment and the drift issue), ``gitlab`` (the sticky merge-request note),
``body`` (a marked comment body that fits the service's cap), ``kit`` (the workflow
templates shipped in ``templates/``, which ``docs/ci/`` mirrors), ``command`` (``dactl ci``).
Nothing is imported here, so other commands do not pay for it.
"""
