"""Images: ko builds into a local engine, kind loads, the clusteradm / Helm / kubectl CLI images, and
images published to a registry. Imports ``core``, ``toolchain``, ``project``, ``remote``.
"""
