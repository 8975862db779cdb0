"""What the operator declares: the versioned reserve set and the supply deployments' roles."""
