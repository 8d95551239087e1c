"""One module a page: each holds a `routes` table the console app mounts under /admin/."""
