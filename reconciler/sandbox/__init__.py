"""A local emulator of the Genesys Cloud integration-actions API (``dactl sandbox``).

Modules: ``app`` (create_app), ``middleware`` (headers, auth, rate limit, faults),
``routes_actions`` / ``routes_other`` (endpoints), ``store`` (state, versions, drafts),
``persist`` (atomic state files), ``validation`` (§4 limits), ``views`` (wire shapes, paging),
``execution`` (emulated test/execute), ``auth``, ``limits``, ``seed``, ``config``,
``server`` (uvicorn), ``process`` (SandboxProcess / SandboxServer), ``command`` (click).
Nothing is imported here, so ``dactl`` commands other than ``sandbox`` stay fast to start.
"""
