"""``herd report``: a self-contained static web page of a run (works offline from the file system)."""
