"""Charts: ``make chart`` (derive the controller-manager chart) and the release charts staged with the
release's values. Imports ``core``, ``toolchain``, ``project``.
"""
