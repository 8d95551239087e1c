"""The organizers' web console under /admin/: pages, not commands, for community staff."""
