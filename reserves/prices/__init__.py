"""The median price oracle: verdicts per source, the aggregate, the job that stores it, the lookup."""
