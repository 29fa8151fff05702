"""Go and the pinned Go tools: finding Go, choosing a toolchain per tool, installing tools into the
shared cache. Imports only ``kstasks.core``.
"""
