"""The developer loop: ``make build``/``test``/``run``/``fmt``/``vet``, integration tests, deploying to a
cluster and the prerequisites check. Imports ``core``, ``toolchain``, ``project``, ``charts``.
"""
