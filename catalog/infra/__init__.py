"""What the site stands on that knows no model: the database seam (``db``), git, URL paths,
absolute URLs, roles, logs, the cache backend, image uploads and served image files."""
