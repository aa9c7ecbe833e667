"""The content repository: sync_content's run through git, Sync now, and the Content sync page's
view of where each record stands."""
