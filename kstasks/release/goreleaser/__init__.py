"""The checkout's own release, as its ``.goreleaser.yaml`` and ``.github/workflows/goreleaser.yml``
describe it: the plan read from them (``config``, ``workflow``, ``templates``), and the binaries,
archives, checksums, SBOMs and images built from it. Imports ``kstasks.core``, ``kstasks.toolchain``,
``kstasks.remote``, ``kstasks.project`` and ``kstasks.charts``.
"""
