"""Releases: the version-reference graph (``release.graph``), release-prepare's edits, the release
charts packaged and published, and verify-release. Imports ``core``, ``toolchain``, ``project``,
``remote`` and ``charts``.
"""
