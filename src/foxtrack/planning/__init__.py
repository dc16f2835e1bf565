"""Production planning: project templates, budgets, quotas, asset instances and scene shots."""
