"""Developer tools that build the project's data (not shipped in the packages)."""
