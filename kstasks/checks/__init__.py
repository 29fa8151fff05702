"""The checks of KubeStellar's CI verify job and ``make lint``: license headers, derived files,
imports, modules, version references, linters, and ``verify`` (all of them). Imports ``core``,
``toolchain``, ``project``, ``codegen`` and ``release.graph``.
"""
