"""Backups of a live database to a folder: ``BackupManager`` (``manager``: when to back up, the threads), the
folder's files (``files``: names, listing, retention), the restore (``restore``: the chain, read from a folder
a manager may be writing to), the delta format (``delta``) and taking a database's changes out of its tables
(``changes``). docs/backups.md is the guide.
"""
