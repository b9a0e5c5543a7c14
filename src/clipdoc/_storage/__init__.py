"""The collection and storage layer: files and folders.

One module, `files`, owns every read and write of a file below a
collection's root; walking, naming, collections and their indexes are built
on it. Everything here sits on the format core and below interop, the site
and the command.
"""
