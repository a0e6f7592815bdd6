"""Terraform (CX as Code) configurations read offline: ``genesyscloud_integration_action``
resources as actions in the API's shape, for ``dactl import``.

``evaluate`` walks python-hcl2's typed rule tree and evaluates the subset of Terraform that
data action configurations are written in; ``configuration`` reads the files of one
directory as one configuration (variables, locals, integrations); ``resources`` turns each
action resource into an action, or a one-line refusal naming what it cannot read.
"""
