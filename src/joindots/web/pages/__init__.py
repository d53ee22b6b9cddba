"""Server-rendered pages (Jinja2, a little htmx; no build step)."""
