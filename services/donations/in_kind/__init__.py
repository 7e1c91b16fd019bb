"""In-kind donations: goods given to a campaign, received into its stock."""
