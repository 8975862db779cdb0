"""The worker role: the scheduler under leader election and every job; it alone reads chains and signs."""
