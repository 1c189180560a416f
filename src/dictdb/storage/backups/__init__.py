"""Backups of a live database to a folder: ``BackupManager`` (``manager``: when to back up, the threads, the
restore), the folder's files (``files``: names, the chain a restore reads, retention), the delta format
(``delta``) and taking a database's changes out of its tables (``changes``). docs/backups.md is the guide.
"""
