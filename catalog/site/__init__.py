"""The public site: views, feeds, sitemaps, the page cache, middleware, health and review links."""
