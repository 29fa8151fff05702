"""The ground floor: running commands, output, errors, the run's state, signals, locks, scratch
directories, atomic files, SemVer. Imports nothing else of kstasks.
"""
