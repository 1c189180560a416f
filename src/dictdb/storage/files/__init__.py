"""The database's own files: what ``DictDB.save``/``load`` write and read, and the folder of ``DictDB.open``.

- ``persistence``: the format switch (JSON or pickle), sync and async;
- ``snapshot``: the database at one point in time as plain data, and the way back to tables;
- ``document``: the layout a file holds and its checks; ``schema_names``: schema types by name;
- ``codec``: values JSON has no type for, as tagged objects; ``jsonfile``, ``pickle_safe``: the two formats
  (a pickle is read with an allow-list, never by importing what it names);
- ``frames``, ``journal``: the append-only journal of a durable database, frame by frame;
- ``atomic``: the writer every file goes through (a crash leaves the old file or the new one, never half).
"""
