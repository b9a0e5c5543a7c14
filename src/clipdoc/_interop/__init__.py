"""Outside formats behind one registry: each format is one codec with
``read`` and ``write``; ``clipdoc convert`` picks two."""
