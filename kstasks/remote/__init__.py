"""Talking to other hosts: HTTP with whole-operation deadlines (``network``), challenges and
credentials (``auth``), the OCI registry API, the push engine and the GitHub API. Imports only
``kstasks.core``.
"""
