"""The format core: text in, text out.

The models, the reader (fast canonical path and full reader with
diagnostics), body escaping, the writer, timestamps, the JSON mapping,
conflicts and the field-wise merge. Nothing here opens a file: the storage
layer (`clipdoc._storage`) owns every file a collection reads or writes.
"""
