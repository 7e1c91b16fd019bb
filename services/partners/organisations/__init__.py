"""Partner organisations: the social organisations, companies, groups and public bodies a
foundation works with. Each foundation keeps its own list."""
