"""Code generation (``make all-generated``): controller-gen, the CRD bundle, code-generator's clients,
import order, the stamp that skips an unchanged rerun, and the per-step cache (each step's key: what
it reads). Imports ``core``, ``toolchain``, ``project``.
"""
