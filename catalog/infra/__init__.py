"""What the site stands on that knows no model: URL paths, absolute URLs, roles, logs, the cache
backend, git, image uploads and served image files."""
