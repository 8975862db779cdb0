"""Scheduled jobs of the worker role and the scheduler that runs them under leader election."""
