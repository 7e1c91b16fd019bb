"""The sync feed: every change a foundation may see, in one order, with a resumable cursor."""
