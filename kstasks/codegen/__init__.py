"""Code generation (``make all-generated``): controller-gen, the CRD bundle, code-generator's clients,
import order, and the stamp that skips an unchanged rerun. Imports ``core``, ``toolchain``, ``project``.
"""
