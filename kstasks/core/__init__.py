"""The ground floor: running commands (``runner``), typed errors (``errors``), the run's state
(``context``), what the user sees (``output``) and the results handed back (``report``), signals,
checkout locks, scratch directories, atomic files (``fsutil``), the cache's paths, SemVer and
YAML files read with one-line errors (``yamlfile``).
Imports nothing else of kstasks.
"""
