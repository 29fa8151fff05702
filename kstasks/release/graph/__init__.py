"""The version-reference graph: every place that names a published artifact's version, read
(``parse``), chosen for a checkout (``select``), scanned, judged (``check``), edited and
discovered. Imports only ``kstasks.core``.
"""
