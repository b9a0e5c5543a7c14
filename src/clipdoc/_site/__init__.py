"""The static site of a collection (``clipdoc site``): see `clipdoc.site`.

``search`` builds the search index, ``pages`` what each page shows, ``build``
the pages, the manifest of an incremental build and the atomic swap of the
output folder. ``templates/`` and ``static/`` are the default theme.
"""
