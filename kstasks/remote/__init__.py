"""Talking to other hosts: HTTP with whole-request deadlines, the OCI registry API, the push engine
and the GitHub API. Imports only ``kstasks.core``.
"""
